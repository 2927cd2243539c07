package i18n

import (
	"errors"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Message is a message id with the arguments it renders with: what a view
// keeps of a refusal until it renders it (T(ctx, m.MessageID, m.Args)),
// so that no message loses its arguments on the way.
type Message struct {
	MessageID string
	Args      map[string]any
}

// Msg is the message id with args (none for a message that takes none).
func Msg(id string, args ...map[string]any) Message {
	m := Message{MessageID: id}
	if len(args) > 0 {
		m.Args = args[0]
	}
	return m
}

// MessageOf is the message of a *kijun.Error in err, or fallback.
func MessageOf(err error, fallback string) Message {
	var ke *kijun.Error
	if errors.As(err, &ke) {
		return Message{MessageID: ke.MessageID, Args: ke.Args}
	}
	return Message{MessageID: fallback}
}
