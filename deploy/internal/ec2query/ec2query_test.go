package ec2query

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
)

// server answers one request with status and body and records it.
func server(t *testing.T, status int, body string, got *url.Values, auth *string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		*got, _ = url.ParseQuery(string(data))
		*auth = r.Header.Get("Authorization")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL_EC2", "")
	return New(aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
}

// TestRevokeRequest: the query parameters EC2 documents for
// RevokeSecurityGroupIngress, signed for ec2 in the client's region.
func TestRevokeRequest(t *testing.T) {
	var got url.Values
	var auth string
	c := server(t, 200, `<RevokeSecurityGroupIngressResponse><return>true</return></RevokeSecurityGroupIngressResponse>`, &got, &auth)
	port := 443
	perms := []Permission{{IPProtocol: "tcp", FromPort: &port, ToPort: &port}, {IPProtocol: "-1"}}
	perms[0].IPRanges = append(perms[0].IPRanges, struct {
		CidrIP string `xml:"cidrIp"`
	}{"10.0.0.0/16"})
	perms[1].Groups = append(perms[1].Groups, struct {
		GroupID string `xml:"groupId"`
		UserID  string `xml:"userId"`
	}{"sg-1", "123456789012"})
	if err := c.RevokeIngress(context.Background(), "sg-9", perms); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Action": "RevokeSecurityGroupIngress", "Version": "2016-11-15", "GroupId": "sg-9",
		"IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": "443", "IpPermissions.1.ToPort": "443",
		"IpPermissions.1.IpRanges.1.CidrIp": "10.0.0.0/16",
		"IpPermissions.2.IpProtocol":        "-1", "IpPermissions.2.Groups.1.GroupId": "sg-1", "IpPermissions.2.Groups.1.UserId": "123456789012",
	}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.Get(k), v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("extra parameters: %v", got)
	}
	if !strings.Contains(auth, "/eu-west-1/ec2/aws4_request") {
		t.Errorf("not signed for ec2 in eu-west-1: %s", auth)
	}
}

// TestErrors: EC2's error document becomes a smithy API error with its
// code; throttling and 5xx classify as the SDK's retry rules expect.
func TestErrors(t *testing.T) {
	var got url.Values
	var auth string
	c := server(t, 400, `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>`, &got, &auth)
	_, err := c.DescribeSecurityGroups(context.Background(), nil, Filter{Name: "vpc-id", Values: []string{"vpc-1"}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "RequestLimitExceeded" {
		t.Fatalf("%v", err)
	}
	if got.Get("Filter.1.Name") != "vpc-id" || got.Get("Filter.1.Value.1") != "vpc-1" {
		t.Errorf("filters: %v", got)
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Error("RequestLimitExceeded is not a throttle")
	}
	c = server(t, 503, "", &got, &auth)
	_, err = c.DescribeVpcs(context.Background(), nil)
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary || !strings.Contains(err.Error(), "503") {
		t.Errorf("503 without a body: %v", err)
	}
}

// TestDescribeSecurityGroups reads EC2's reply shape.
func TestDescribeSecurityGroups(t *testing.T) {
	var got url.Values
	var auth string
	c := server(t, 200, `<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-1</groupId><groupName>default</groupName><vpcId>vpc-1</vpcId>
<ipPermissions><item><ipProtocol>-1</ipProtocol><groups><item><userId>1</userId><groupId>sg-1</groupId></item></groups><ipRanges/></item></ipPermissions>
<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item></ipPermissionsEgress></item></securityGroupInfo></DescribeSecurityGroupsResponse>`, &got, &auth)
	groups, err := c.DescribeSecurityGroups(context.Background(), []string{"sg-1"})
	if err != nil || len(groups) != 1 {
		t.Fatal(groups, err)
	}
	g := groups[0]
	if g.GroupID != "sg-1" || g.VpcID != "vpc-1" || len(g.Ingress) != 1 || g.Ingress[0].Groups[0].GroupID != "sg-1" || len(g.Egress) != 1 || g.Egress[0].IPRanges[0].CidrIP != "0.0.0.0/0" {
		t.Errorf("%+v", g)
	}
	if got.Get("GroupId.1") != "sg-1" {
		t.Errorf("ids: %v", got)
	}
}

// TestDescribeManagedPrefixLists reads EC2's reply shape.
func TestDescribeManagedPrefixLists(t *testing.T) {
	var got url.Values
	var auth string
	c := server(t, 200, `<DescribeManagedPrefixListsResponse><requestId>r</requestId><prefixListSet><item><prefixListId>pl-6da54004</prefixListId>
<addressFamily>IPv4</addressFamily><state>create-complete</state><prefixListName>com.amazonaws.eu-west-1.s3</prefixListName><ownerId>AWS</ownerId></item></prefixListSet></DescribeManagedPrefixListsResponse>`, &got, &auth)
	lists, err := c.DescribeManagedPrefixLists(context.Background(), Filter{Name: "prefix-list-name", Values: []string{"com.amazonaws.eu-west-1.s3"}})
	if err != nil || len(lists) != 1 || lists[0].PrefixListID != "pl-6da54004" || lists[0].OwnerID != "AWS" {
		t.Fatal(lists, err)
	}
	if got.Get("Action") != "DescribeManagedPrefixLists" || got.Get("Filter.1.Name") != "prefix-list-name" || got.Get("Filter.1.Value.1") != "com.amazonaws.eu-west-1.s3" {
		t.Errorf("request: %v", got)
	}
}
