//go:build dev

// Package demo holds the demonstration data of `kijun dev` and the tests:
// fictional operators and the demo users of the development identity
// provider, with the claim mapping that gives them their roles. Every name
// here is invented and marked (デモ). Compiled only with the dev build tag.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/auth"
	"github.com/kijun-portal/kijun/internal/auth/devidp"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
)

// Operator is a demo operator with the business scopes it runs.
type Operator struct {
	register.Operator
	ScopesJa []string
}

// Operators are the demo operators: two electricity companies, a bank and a
// municipality. Corporate numbers and the local government code are in the
// real format with valid check digits, but belong to no one.
var Operators = []Operator{
	{Operator: register.Operator{CorporateNumber: "2010401000001", Name: kijun.Text{Ja: "東都送配電株式会社(デモ)", En: "Toto Power Grid Co., Inc. (demo)"},
		SectorCode: "electricity", Designation: register.DesignationBoth, DesignatedBy: "METI", Reason: "一般送配電事業者"},
		ScopesJa: []string{"一般送配電事業"}},
	{Operator: register.Operator{CorporateNumber: "1010401000002", Name: kijun.Text{Ja: "北浜発電株式会社(デモ)", En: "Kitahama Generation Co., Inc. (demo)"},
		SectorCode: "electricity", Designation: register.DesignationCI, DesignatedBy: "METI", Reason: "主要な発電事業者"},
		ScopesJa: []string{"発電事業"}},
	{Operator: register.Operator{CorporateNumber: "4010001000003", Name: kijun.Text{Ja: "株式会社かけはし銀行(デモ)", En: "Kakehashi Bank, Ltd. (demo)"},
		SectorCode: "finance", Designation: register.DesignationBoth, DesignatedBy: "FSA", Reason: "主要な銀行"},
		ScopesJa: []string{"銀行等"}},
	{Operator: register.Operator{CorporateNumber: "5000020479993", LocalGovCode: "479993", Name: kijun.Text{Ja: "みなと台市(デモ)", En: "Minatodai City (demo)"},
		SectorCode: "government", Designation: register.DesignationCI, DesignatedBy: "MIC", Reason: "地方公共団体"},
		ScopesJa: []string{"地方公共団体の行政サービス"}},
}

// Users are the demo users of the development identity provider. Their
// "groups" map to roles through DevProvider's group_grants; operator staff
// get their role from the corporate_number claim, as gBizID users would.
var Users = []devidp.User{
	{Subject: "nco-admin", Name: "国家サイバー統括室 管理 太郎", Email: "nco-admin@example.go.jp", Groups: []string{"kijun-nco-admin"},
		Label: kijun.Text{Ja: "国家サイバー統括室 管理者", En: "NCO administrator"}},
	{Subject: "nco-analyst", Name: "国家サイバー統括室 分析 花子", Email: "nco-analyst@example.go.jp", Groups: []string{"kijun-nco-analyst"},
		Label: kijun.Text{Ja: "国家サイバー統括室 分析担当", En: "NCO analyst"}},
	{Subject: "meti-admin", Name: "経済産業省 管理 一郎", Email: "meti-admin@example.go.jp", Groups: []string{"kijun-meti-admin"},
		Label: kijun.Text{Ja: "経済産業省 管理者", En: "METI administrator"}},
	{Subject: "meti-staff", Name: "経済産業省 担当 二郎", Email: "meti-staff@example.go.jp", Groups: []string{"kijun-meti-staff"},
		Label: kijun.Text{Ja: "経済産業省 担当者", En: "METI staff"}},
	{Subject: "mlit-staff", Name: "国土交通省 担当 三郎", Email: "mlit-staff@example.go.jp", Groups: []string{"kijun-mlit-staff"},
		Label: kijun.Text{Ja: "国土交通省 担当者", En: "MLIT staff"}},
	{Subject: "fsa-staff", Name: "金融庁 担当 四郎", Email: "fsa-staff@example.go.jp", Groups: []string{"kijun-fsa-staff"},
		Label: kijun.Text{Ja: "金融庁 担当者", En: "FSA staff"}},
	{Subject: "toto-admin", Name: "東都送配電 管理 五郎", Email: "admin@toto-grid.example.jp", Groups: []string{"kijun-toto-admin"},
		CorporateNumber: "2010401000001", Label: kijun.Text{Ja: "東都送配電(デモ) 管理者", En: "Toto Power Grid (demo) administrator"}},
	{Subject: "toto-staff", Name: "東都送配電 担当 六子", Email: "staff@toto-grid.example.jp",
		CorporateNumber: "2010401000001", Label: kijun.Text{Ja: "東都送配電(デモ) 担当者", En: "Toto Power Grid (demo) staff"}},
	{Subject: "toto-reviewer", Name: "東都送配電 確認 十一", Email: "reviewer@toto-grid.example.jp", Groups: []string{"kijun-toto-reviewer"},
		CorporateNumber: "2010401000001", Label: kijun.Text{Ja: "東都送配電(デモ) 社内確認者", En: "Toto Power Grid (demo) reviewer"}},
	{Subject: "kitahama-admin", Name: "北浜発電 管理 七海", Email: "admin@kitahama-gen.example.jp", Groups: []string{"kijun-kitahama-admin"},
		CorporateNumber: "1010401000002", Label: kijun.Text{Ja: "北浜発電(デモ) 管理者", En: "Kitahama Generation (demo) administrator"}},
	{Subject: "kitahama-staff", Name: "北浜発電 担当 八郎", Email: "staff@kitahama-gen.example.jp",
		CorporateNumber: "1010401000002", Label: kijun.Text{Ja: "北浜発電(デモ) 担当者", En: "Kitahama Generation (demo) staff"}},
	{Subject: "kakehashi-admin", Name: "かけはし銀行 管理 九美", Email: "admin@kakehashi-bank.example.jp", Groups: []string{"kijun-kakehashi-admin"},
		CorporateNumber: "4010001000003", Label: kijun.Text{Ja: "かけはし銀行(デモ) 管理者", En: "Kakehashi Bank (demo) administrator"}},
	{Subject: "kakehashi-staff", Name: "かけはし銀行 担当 十和", Email: "staff@kakehashi-bank.example.jp",
		CorporateNumber: "4010001000003", Label: kijun.Text{Ja: "かけはし銀行(デモ) 担当者", En: "Kakehashi Bank (demo) staff"}},
	{Subject: "minatodai-admin", Name: "みなと台市 管理 百合", Email: "admin@city.minatodai.example.jp", Groups: []string{"kijun-minatodai-admin"},
		CorporateNumber: "5000020479993", Label: kijun.Text{Ja: "みなと台市(デモ) 管理者", En: "Minatodai City (demo) administrator"}},
	{Subject: "minatodai-staff", Name: "みなと台市 担当 千里", Email: "staff@city.minatodai.example.jp",
		CorporateNumber: "5000020479993", Label: kijun.Text{Ja: "みなと台市(デモ) 担当者", En: "Minatodai City (demo) staff"}},
	{Subject: "newcomer", Name: "権限未付与 利用者", Email: "newcomer@example.jp",
		Label: kijun.Text{Ja: "権限のない利用者(承認待ちの画面を確認できます)", En: "User with no role (shows the access-pending page)"}},
	// Two people the provider gives the same address: only one of them has
	// confirmed it, and only that one may accept an invitation to it.
	{Subject: "invitee", Name: "招待 確認済", Email: "invitee@example.jp",
		Label: kijun.Text{Ja: "招待される利用者(メールアドレス確認済み)", En: "Invited user (e-mail address verified)"}},
	{Subject: "invitee-unverified", Name: "招待 未確認", Email: "invitee@example.jp", EmailUnverified: true,
		Label: kijun.Text{Ja: "同じメールアドレスを名乗る利用者(未確認)", En: "User claiming the same address (not verified)"}},
}

// DevClientID and DevClientSecret register the portal at the development
// provider. The secret protects nothing: the provider runs only in dev.
const (
	DevClientID     = "kijun-portal"
	DevClientSecret = "kijun-dev-secret"
)

// DevProvider is the relying-party configuration for the development
// provider served at baseURL/dev-idp.
func DevProvider(baseURL string) auth.ProviderConfig {
	return auth.ProviderConfig{
		ID:                   "dev",
		Name:                 kijun.Text{Ja: "開発用IDプロバイダ", En: "Development identity provider"},
		Issuer:               baseURL + "/dev-idp",
		ClientID:             DevClientID,
		ClientSecret:         DevClientSecret,
		Scopes:               []string{"profile", "email", "groups"},
		GroupsClaim:          "groups",
		CorporateNumberClaim: "corporate_number",
		Development:          true,
		GroupGrants: map[string]string{
			"kijun-nco-admin":       "nco_admin",
			"kijun-nco-analyst":     "nco_analyst",
			"kijun-meti-admin":      "ministry_admin@METI",
			"kijun-meti-staff":      "ministry_staff@METI",
			"kijun-mlit-staff":      "ministry_staff@MLIT",
			"kijun-fsa-staff":       "ministry_staff@FSA",
			"kijun-toto-admin":      "operator_admin@2010401000001",
			"kijun-toto-reviewer":   "operator_reviewer@2010401000001",
			"kijun-kitahama-admin":  "operator_admin@1010401000002",
			"kijun-kakehashi-admin": "operator_admin@4010001000003",
			"kijun-minatodai-admin": "operator_admin@5000020479993",
		},
	}
}

// DevIDPConfig is the development provider's configuration.
func DevIDPConfig(baseURL string) devidp.Config {
	return devidp.Config{
		Issuer: baseURL + "/dev-idp",
		Users:  Users,
		Clients: []devidp.Client{{
			ID: DevClientID, Secret: DevClientSecret,
			RedirectURIs:           []string{baseURL + "/auth/callback/dev"},
			PostLogoutRedirectURIs: []string{baseURL + "/"},
		}},
	}
}

// Seed inserts the demo operators that are missing, as the system, with
// an audit event each. Running it again changes nothing.
func Seed(ctx context.Context, tx pgx.Tx) error {
	for _, o := range Operators {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM operators WHERE corporate_number = $1)`, o.CorporateNumber).Scan(&exists); err != nil {
			return err
		}
		if exists {
			continue
		}
		op := o.Operator
		op.DesignatedSince = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		for _, name := range o.ScopesJa {
			var id int64
			if err := tx.QueryRow(ctx, `SELECT id FROM business_scopes WHERE sector_code = $1 AND name_ja = $2`, op.SectorCode, name).Scan(&id); err != nil {
				return fmt.Errorf("demo operator %s: scope %s: %w", op.Name.Ja, name, err)
			}
			op.ScopeIDs = append(op.ScopeIDs, id)
		}
		id, err := postgres.CreateOperator(ctx, tx, op)
		if err != nil {
			return fmt.Errorf("demo operator %s: %w", op.Name.Ja, err)
		}
		op.ID = id
		if err := postgres.Audit(ctx, tx, audit.Event{ActorLabel: "kijun dev", Action: "operator.create",
			ObjectType: "operator", ObjectID: fmt.Sprint(id), SectorCode: op.SectorCode, OperatorID: id}, nil, op); err != nil {
			return err
		}
	}
	return nil
}
