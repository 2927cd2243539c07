// Package config reads Kijun's typed configuration from environment
// variables and command-line flags (flags win). docs/configuration.md lists
// every setting; keep the two in step.
package config

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/pgboot"
)

// Config is everything the server needs to run.
type Config struct {
	// ListenAddr is host:port to listen on (LISTEN_ADDR, or ":"+PORT).
	ListenAddr string
	// MetricsAddr is host:port of the Prometheus metrics listener
	// (METRICS_ADDR), never the public one; empty serves no metrics.
	MetricsAddr string
	// DatabaseURL connects as the schema owner: migrations and seeds.
	DatabaseURL string
	// AppDatabaseURL connects as the restricted role the server uses; by
	// default DatabaseURL with the user replaced by kijun_app.
	AppDatabaseURL string
	// BaseURL is the public URL of the portal, used for OIDC redirects.
	BaseURL string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// ShutdownDrain is how long the server keeps accepting after SIGTERM
	// while /readyz answers 503, so that load balancers stop sending.
	ShutdownDrain time.Duration
	// ShutdownTimeout bounds how long in-flight requests then get to
	// finish; those still running are cancelled and roll back.
	ShutdownTimeout time.Duration
	// ProvidersFile is a YAML list of OIDC providers (docs/security.md).
	ProvidersFile string
	// SessionIdle and SessionAbsolute end sessions after inactivity and
	// after a fixed time from sign-in.
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	// Mail is the SMTP relay notifications are mailed through
	// (docs/configuration.md); no host: mails are logged, not sent.
	Mail Mail
	// APIRateLimit is how many API requests one token may make per
	// minute (API_RATE_LIMIT; docs/api.md).
	APIRateLimit int
	// WebhookSecretKey encrypts webhook signing secrets at rest: the
	// base64 of 32 bytes (WEBHOOK_SECRET_KEY; docs/webhooks.md). Without
	// it no endpoint can be registered and none is sent to.
	WebhookSecretKey string
	// WebhookAllowLoopback lets webhooks reach loopback addresses, and
	// http:// to them (WEBHOOK_ALLOW_LOOPBACK=true): for tests and local
	// development only; never in production (SSRF).
	WebhookAllowLoopback bool
	// Now is the clock the server takes the time from (nil: time.Now):
	// sign-in flows, idle sessions, today's date, the fiscal year. Not a
	// setting: tests set it instead of waiting.
	Now func() time.Time
}

// DefaultAPIRateLimit is how many API requests one token may make per
// minute unless API_RATE_LIMIT says otherwise.
const DefaultAPIRateLimit = 600

// FromEnv returns the configuration from the environment with defaults.
func FromEnv() Config {
	port := env("PORT", "8080")
	c := Config{
		ListenAddr:      env("LISTEN_ADDR", ":"+port),
		MetricsAddr:     os.Getenv("METRICS_ADDR"),
		DatabaseURL:     os.Getenv("DATABASE_URL"),
		AppDatabaseURL:  os.Getenv("APP_DATABASE_URL"),
		BaseURL:         os.Getenv("BASE_URL"),
		LogLevel:        env("LOG_LEVEL", "info"),
		ShutdownDrain:   envDuration("SHUTDOWN_DRAIN", 5*time.Second),
		ShutdownTimeout: envDuration("SHUTDOWN_TIMEOUT", 20*time.Second),
		ProvidersFile:   os.Getenv("OIDC_PROVIDERS_FILE"),
		SessionIdle:     envDuration("SESSION_IDLE_TIMEOUT", 30*time.Minute),
		SessionAbsolute: envDuration("SESSION_LIFETIME", 12*time.Hour),
		Mail: Mail{Host: os.Getenv("SMTP_HOST"), User: os.Getenv("SMTP_USER"), Password: os.Getenv("SMTP_PASSWORD"),
			TLS: env("SMTP_TLS", "starttls"), From: os.Getenv("MAIL_FROM")},
	}
	c.Mail.Port, _ = strconv.Atoi(env("SMTP_PORT", "587"))
	c.WebhookSecretKey = os.Getenv("WEBHOOK_SECRET_KEY")
	c.WebhookAllowLoopback = os.Getenv("WEBHOOK_ALLOW_LOOPBACK") == "true"
	if c.APIRateLimit, _ = strconv.Atoi(os.Getenv("API_RATE_LIMIT")); c.APIRateLimit <= 0 {
		c.APIRateLimit = DefaultAPIRateLimit
	}
	return c
}

// Flags registers flags that override the environment on fs.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.ListenAddr, "listen", c.ListenAddr, "address to listen on (LISTEN_ADDR, PORT)")
	fs.StringVar(&c.MetricsAddr, "metrics-listen", c.MetricsAddr, "address to serve /metrics on, apart from the public one; empty: none (METRICS_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL of the schema owner (DATABASE_URL)")
	fs.StringVar(&c.AppDatabaseURL, "app-database-url", c.AppDatabaseURL, "PostgreSQL URL of the server's restricted role (APP_DATABASE_URL)")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of the portal (BASE_URL)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (LOG_LEVEL)")
	fs.DurationVar(&c.ShutdownDrain, "shutdown-drain", c.ShutdownDrain, "how long to keep accepting after SIGTERM while /readyz answers 503 (SHUTDOWN_DRAIN)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long in-flight requests then get before they are cancelled (SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.ProvidersFile, "oidc-providers", c.ProvidersFile, "YAML file listing OIDC providers (OIDC_PROVIDERS_FILE)")
	fs.DurationVar(&c.SessionIdle, "session-idle", c.SessionIdle, "session idle timeout (SESSION_IDLE_TIMEOUT)")
	fs.DurationVar(&c.SessionAbsolute, "session-lifetime", c.SessionAbsolute, "session absolute lifetime (SESSION_LIFETIME)")
}

// ShutdownMargin is what the process allows itself past the drain and the
// timeout to cancel the requests still running, roll back their
// transactions and close; at ShutdownDeadline it exits regardless. The
// Deployment's terminationGracePeriodSeconds must cover the deadline
// (deploy/deploy_test.go checks it).
const ShutdownMargin = 3 * time.Second

// ShutdownDeadline is how long after SIGTERM the process has ended.
func (c *Config) ShutdownDeadline() time.Duration {
	return c.ShutdownDrain + c.ShutdownTimeout + ShutdownMargin
}

// Secure reports whether the portal is served over TLS (directly or
// behind a proxy): cookies are then Secure and __Host- prefixed, and HSTS
// is sent.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Finish fills derived settings and checks the result.
func (c *Config) Finish() error {
	if c.DatabaseURL == "" && c.AppDatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is not set (for development, `make dev` finds or starts PostgreSQL itself)")
	}
	if c.AppDatabaseURL == "" {
		c.AppDatabaseURL = pgboot.WithUser(c.DatabaseURL, pgboot.AppRole)
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://localhost" + portOf(c.ListenAddr)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.Mail.BaseURL = c.BaseURL
	if c.Mail.Host != "" && c.Mail.From == "" {
		return fmt.Errorf("MAIL_FROM is not set: the sender address of notification mail (SMTP_HOST is set)")
	}
	if c.ShutdownDrain < 0 || c.ShutdownTimeout < 0 {
		return fmt.Errorf("SHUTDOWN_DRAIN and SHUTDOWN_TIMEOUT must not be negative")
	}
	return nil
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i:]
		}
	}
	return ""
}

func env(k, def string) string {
	if v, ok := os.LookupEnv(k); ok && v != "" {
		return v
	}
	return def
}

func envDuration(k string, def time.Duration) time.Duration {
	if v := os.Getenv(k); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		if n, err := strconv.Atoi(v); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return def
}

// Mail is how the portal reaches its mail relay.
type Mail struct {
	// Host is the SMTP relay (SMTP_HOST); empty: mail is only logged.
	Host string
	// Port is the relay's port (SMTP_PORT, default 587).
	Port int
	// User and Password authenticate to the relay (SMTP_USER,
	// SMTP_PASSWORD); no user: no authentication. The password is never
	// logged.
	User, Password string
	// TLS is starttls (default: required), tls (implicit, port 465) or
	// none (a local relay only).
	TLS string
	// From is the sender address (MAIL_FROM).
	From string
	// BaseURL is the portal's public URL, for links back to it.
	BaseURL string
}

// String names the relay without the password, for logs.
func (c Mail) String() string {
	if c.Host == "" {
		return "no SMTP relay (mail is logged)"
	}
	return fmt.Sprintf("smtp://%s@%s:%d (tls %s)", c.User, c.Host, c.Port, c.TLS)
}

// LogValue keeps the password out of structured logs.
func (c Mail) LogValue() slog.Value { return slog.StringValue(c.String()) }
