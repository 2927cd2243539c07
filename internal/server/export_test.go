package server

// CompressForTest is the compression middleware, for server_test.
var CompressForTest = compress
