// Package register is the register of named critical-infrastructure
// operators: their designation and status, the systems
// and contacts they declare, the corrections they propose, and the two
// public identifiers they are registered by (法人番号, 地方公共団体コード).
// internal/postgres stores them.
package register
