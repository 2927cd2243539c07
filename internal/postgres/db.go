package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what both a pool and a transaction offer.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

var errNoRows = pgx.ErrNoRows

// minPoolConns is the smallest pool Open makes when the URL does not set
// pool_max_conns (pgxpool's default is max(4, CPUs)). A request holds a
// connection for one round trip at a time, and a commit holds it while
// PostgreSQL flushes the WAL, which takes no CPU: with fewer connections a
// 2-core server saving answers waits for connections with CPU to spare
// (docs/performance.md). Twelve per instance keeps the production
// maximum of replicas well under max_connections (docs/operations.md,
// "Capacity").
const minPoolConns = 12

// Open connects a pool and checks that the server answers. The pool
// reconnects by itself after the database comes back.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 15 * time.Second
	if cfg.MaxConns < minPoolConns && !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = minPoolConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	return pool, nil
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func isUndefinedTable(err error) bool { return pgCode(err) == "42P01" }

// IsUniqueViolation reports a unique-constraint violation (23505).
func IsUniqueViolation(err error) bool { return pgCode(err) == "23505" }
