package plan

// The ministry's internal check (docs/plans.md, "The ministry's internal
// check"): a ministry may require that its plans go to the NCO only by
// one of its admins — staff draft, and an admin's submission is the
// ministry's sign-off (the version records who submitted). This is the
// one home of the rule; the store asks it, and the database's trigger
// kijun_plan_versions_internal_check holds the same for every writer.

// MsgAdminSubmits is the refusal of a submission by staff when the
// ministry requires its internal check.
const MsgAdminSubmits = "plans.error.admin_submits"

// CanSubmitAs reports whether a ministry user may submit a plan of a
// ministry that requires its internal check (required) or not, being one
// of its admins (admin) or not: the message id of a refusal, or "".
func CanSubmitAs(required, admin bool) string {
	if required && !admin {
		return MsgAdminSubmits
	}
	return ""
}
