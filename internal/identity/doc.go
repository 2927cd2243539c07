// Package identity is who a request acts for: the roles, the grants that
// give a user a role in a scope, and the principal worked out once per
// request from a user's grants. internal/postgres stores users and grants;
// internal/authz decides what a principal may do.
package identity
