DROP TABLE api_oauth_clients;
