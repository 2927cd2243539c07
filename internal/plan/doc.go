// Package plan is the implementation plan (実施計画, 第2部 of the
// standard; docs/plans.md): a ministry's plan for one or more of its
// sectors over a planning period, with the sector profile that tailors the
// baseline, how the ministry grasps its operators' state (把握・分析), and
// the KPIs by which the NCO evaluates it (評価・改善). Plans are versioned:
// a version is edited as a draft and never changes once submitted. The
// package owns the plan states, the checks on a version and the diff
// between versions. internal/postgres stores them.
package plan
