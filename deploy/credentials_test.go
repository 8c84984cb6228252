package deploy

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/bgc-dev/bgc/plan"
)

// fakeSTS answers GetCallerIdentity and AssumeRole over the real query
// protocol. moto lets every AssumeRole succeed, so refusals are tested
// here. The caller's account follows from the signing access key.
type fakeSTS struct {
	mu       sync.Mutex
	sessions []string
}

var accessKey = regexp.MustCompile(`Credential=([A-Z0-9]+)/`)

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	key := accessKey.FindStringSubmatch(r.Header.Get("Authorization"))[1]
	w.Header().Set("Content-Type", "text/xml")
	switch r.Form.Get("Action") {
	case "GetCallerIdentity":
		account := "999999999999"
		if strings.HasPrefix(key, "ASIA") {
			account = strings.TrimPrefix(key, "ASIA")
		}
		if account == "444444444444" {
			account = "555555555555" // a role that lands in the wrong account
		}
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/me</Arn><UserId>U</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, account, account)
	case "AssumeRole":
		f.mu.Lock()
		f.sessions = append(f.sessions, r.Form.Get("RoleSessionName"))
		f.mu.Unlock()
		account := strings.Split(r.Form.Get("RoleArn"), ":")[4]
		if account == "333333333333" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
			return
		}
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIA%s</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			account, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), account)
	default:
		http.Error(w, "unexpected "+r.Form.Get("Action"), http.StatusBadRequest)
	}
}

func TestAccountAccessCheck(t *testing.T) {
	f := &fakeSTS{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	base := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDBASE", "secret", ""),
	}
	stack := func(account string) plan.Stack {
		return plan.Stack{ID: account, Account: account, Region: "eu-central-1", DeployRole: "bgc-deploy"}
	}

	common := func(run string) *Common {
		c := &Common{RunID: run, MaxRetryBackoff: time.Millisecond}
		if err := c.normalize(); err != nil {
			t.Fatal(err)
		}
		return c
	}
	ok := newAWSClients(base, common("run1"))
	if err := ok.check(context.Background(), []plan.Stack{stack("999999999999"), stack("222222222222")}); err != nil {
		t.Fatalf("check: %v", err)
	}
	if len(f.sessions) != 1 || f.sessions[0] != "bgc-run1" {
		t.Errorf("role sessions %v, want one named bgc-run1 (none for the caller's own account)", f.sessions)
	}

	bad := newAWSClients(base, common("run2"))
	err := bad.check(context.Background(), []plan.Stack{stack("222222222222"), stack("333333333333"), stack("444444444444")})
	if err == nil {
		t.Fatal("check passed with a refused role")
	}
	for _, want := range []string{
		"account 333333333333: cannot assume role arn:aws:iam::333333333333:role/bgc-deploy",
		"account 444444444444: role arn:aws:iam::444444444444:role/bgc-deploy resolved to account 555555555555",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "222222222222") {
		t.Errorf("error names the account that worked: %v", err)
	}
}

// TestProfileAndRegion: --profile picks a shared-config profile's
// credentials and region, as the AWS CLI does; --region overrides the
// region.
func TestProfileAndRegion(t *testing.T) {
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	os.WriteFile(cfgFile, []byte("[default]\nregion = us-east-1\n[profile ops]\nregion = eu-west-3\n"), 0o600)
	os.WriteFile(credFile, []byte("[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = x\n[ops]\naws_access_key_id = OPSKEY\naws_secret_access_key = y\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
	for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for _, c := range []struct {
		common        Common
		region, keyID string
	}{
		{Common{}, "us-east-1", "DEFAULTKEY"},
		{Common{Profile: "ops"}, "eu-west-3", "OPSKEY"},
		{Common{Profile: "ops", Region: "ap-south-1"}, "ap-south-1", "OPSKEY"},
	} {
		cfg, err := c.common.loadBase(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		creds, err := cfg.Credentials.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Region != c.region || creds.AccessKeyID != c.keyID {
			t.Errorf("profile %q region %q: got region %s key %s, want %s %s", c.common.Profile, c.common.Region, cfg.Region, creds.AccessKeyID, c.region, c.keyID)
		}
	}
	if _, err := (&Common{Profile: "nope"}).loadBase(context.Background()); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown profile: %v", err)
	}
}
