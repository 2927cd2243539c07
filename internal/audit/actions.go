package audit

// Actions are the actions the portal records, each named in both
// languages in locales/audit.*.yaml (a test checks it). Write a new
// action here when you add one.
var Actions = []string{
	"auth.signin", "auth.signin_failed", "auth.signout",
	"grant.create", "grant.revoke", "grant.restore",
	"invitation.create", "invitation.accept", "invitation.revoke",
	"operator.create", "operator.update", "operator.withdraw", "operator.reinstate", "operator.import",
	"operator.system.create", "operator.system.update", "operator.system.delete",
	"operator.contact.create", "operator.contact.update", "operator.contact.delete",
	"operator.correction.propose", "operator.correction.accept", "operator.correction.reject",
	"catalog.import", "catalog.draft.create", "catalog.control.add", "catalog.control.update", "catalog.control.remove",
	"catalog.publish", "catalog.supersede",
	"assessment.cycle.open", "assessment.create", "assessment.start",
	"assessment.answer.save", "assessment.answer.carry_forward", "assessment.answer.confirm",
	"assessment.comment.add", "assessment.evidence.add",
	"assessment.submit", "assessment.resubmit", "assessment.return", "assessment.accept",
	"assessment.extend",
	"plan.create", "plan.update", "plan.submit", "plan.review", "plan.return", "plan.accept", "plan.revise",
	"plan.supersede", "plan.comment", "plan.profile.update", "plan.supplementary.save", "plan.supplementary.delete",
	"evaluation.create", "evaluation.update", "evaluation.publish", "evaluation.respond",
	"reminder.rule.add", "reminder.rule.remove", "reminder.send",
	"plan.deadline.set",
	"api_token.create", "api_token.revoke",
	"api_oauth_client.create", "api_oauth_client.revoke",
}
