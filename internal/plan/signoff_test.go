package plan

import (
	"testing"
	"time"
)

// TestSignOffTransitions walks the internal check: asked for, sent back
// with a comment, asked again, confirmed, voided by an edit; at each
// state what may be done next, and whether the draft may be submitted.
func TestSignOffTransitions(t *testing.T) {
	var steps []SignOff
	add := func(step SignOffStep) {
		steps = append(steps, SignOff{ID: int64(len(steps) + 1), Step: step})
	}
	type want struct {
		state         CheckState
		request       string
		confirm, back string
		submit        string // when the check is required (never refused when it is not)
	}
	check := func(name string, w want) {
		t.Helper()
		state, current := StateOf(steps)
		if state != w.state {
			t.Fatalf("%s: state %s, want %s", name, state, w.state)
		}
		if (current != nil) != (state == CheckConfirmed) {
			t.Errorf("%s: current %v in state %s", name, current, state)
		}
		if got := CanRequest(true, Draft, state); got != w.request {
			t.Errorf("%s: request %q, want %q", name, got, w.request)
		}
		if got := CanDecide(true, Draft, state, SignOffConfirmed, ""); got != w.confirm {
			t.Errorf("%s: confirm %q, want %q", name, got, w.confirm)
		}
		if got := CanDecide(true, Draft, state, SignOffSentBack, "直してください"); got != w.back {
			t.Errorf("%s: send back %q, want %q", name, got, w.back)
		}
		if got := CanSubmit(true, current); got != w.submit {
			t.Errorf("%s: submit %q, want %q", name, got, w.submit)
		}
		if got := CanSubmit(false, current); got != "" {
			t.Errorf("%s: submit without the check required: %q", name, got)
		}
	}
	check("new", want{state: CheckNone, confirm: MsgCheckNoRequest, back: MsgCheckNoRequest, submit: MsgNotChecked})
	add(SignOffRequested)
	check("asked", want{state: CheckRequested, request: MsgCheckRequested, submit: MsgNotChecked})
	add(SignOffSentBack)
	check("sent back", want{state: CheckSentBack, confirm: MsgCheckNoRequest, back: MsgCheckNoRequest, submit: MsgNotChecked})
	add(SignOffRequested)
	add(SignOffConfirmed)
	check("confirmed", want{state: CheckConfirmed, request: MsgCheckConfirmed, confirm: MsgCheckNoRequest, back: MsgCheckNoRequest})
	now := time.Now()
	steps[len(steps)-1].VoidedAt, steps[len(steps)-1].VoidedWhy = &now, VoidEdited
	check("edited after", want{state: CheckNone, confirm: MsgCheckNoRequest, back: MsgCheckNoRequest, submit: MsgNotChecked})
	add(SignOffRequested)
	check("asked again", want{state: CheckRequested, request: MsgCheckRequested, submit: MsgNotChecked})
}

// Steps come in any order; the newest decides.
func TestStateOfOrder(t *testing.T) {
	state, cur := StateOf([]SignOff{{ID: 3, Step: SignOffConfirmed}, {ID: 1, Step: SignOffRequested}, {ID: 2, Step: SignOffSentBack, Comment: "x"}})
	if state != CheckConfirmed || cur == nil || cur.ID != 3 {
		t.Errorf("%s %v", state, cur)
	}
}

// Off, a version no longer a draft, a send-back without a comment, an
// unknown decision: each refused with its own message.
func TestSignOffRefusals(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{CanRequest(false, Draft, CheckNone), MsgCheckOff},
		{CanRequest(true, Submitted, CheckNone), MsgCheckNotDraft},
		{CanDecide(false, Draft, CheckRequested, SignOffConfirmed, ""), MsgCheckOff},
		{CanDecide(true, Returned, CheckRequested, SignOffConfirmed, ""), MsgCheckNotDraft},
		{CanDecide(true, Draft, CheckRequested, SignOffSentBack, "  \n"), MsgCheckComment},
		{CanDecide(true, Draft, CheckRequested, SignOffRequested, ""), MsgCheckDecision},
		{CanDecide(true, Draft, CheckRequested, "approve", ""), MsgCheckDecision},
		{CanSubmit(true, &SignOff{Step: SignOffSentBack}), MsgNotChecked},
		{CanSubmit(true, &SignOff{Step: SignOffConfirmed}), ""},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}
