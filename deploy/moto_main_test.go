package deploy_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bgc-dev/bgc/internal/mototest"
	"github.com/bgc-dev/bgc/internal/testenv"
)

// The end-to-end tests talk the real AWS wire protocol to one moto_server
// per test package, started on first use and killed in TestMain.
var (
	motoOnce sync.Once
	motoSrv  *mototest.Server
	motoErr  error
	motoLog  *os.File
)

func TestMain(m *testing.M) {
	code := m.Run()
	motoSrv.Stop()
	if motoLog != nil {
		motoLog.Close()
		if code == 0 {
			os.Remove(motoLog.Name())
		} else {
			fmt.Fprintf(os.Stderr, "moto_server's log is kept in %s\n", motoLog.Name())
		}
	}
	os.Exit(code)
}

// startMoto returns the shared server, reset to an empty state, and points
// the AWS SDK at it through AWS_ENDPOINT_URL with dummy static credentials.
// Without moto_server on PATH the test is skipped, or fails when
// BGC_REQUIRE_TOOLS=1.
func startMoto(t *testing.T) *mototest.Server {
	t.Helper()
	motoOnce.Do(func() {
		motoLog, _ = os.CreateTemp("", "bgc-moto-*.log")
		motoSrv, motoErr = mototest.Start(motoLog)
	})
	if motoErr != nil {
		testenv.Missing(t, "moto_server (the end-to-end tests against the AWS wire protocol)", motoErr)
	}
	if err := motoSrv.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	useEndpoint(t, motoSrv.URL)
	return motoSrv
}

// useEndpoint makes the SDK's default configuration use url and test
// credentials, ignoring any shared config of the machine.
func useEndpoint(t *testing.T, url string) {
	t.Setenv("AWS_ENDPOINT_URL", url)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// accountConfig returns a configuration for checking results in one account
// and region: it assumes the deploy role there, straight against moto.
func accountConfig(t *testing.T, account, region string) aws.Config {
	t.Helper()
	ctx := context.Background()
	base, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithBaseEndpoint(motoSrv.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
	)
	if err != nil {
		t.Fatal(err)
	}
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base),
		fmt.Sprintf("arn:aws:iam::%s:role/%s", account, deployRole), func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "bgc-test" }))
	return cfg
}
