// Package ec2query is the few Amazon EC2 calls bgc makes, over EC2's query
// protocol with Signature Version 4, using the AWS SDK's configuration,
// credentials, signer and HTTP client. The SDK's own EC2 package would do
// the same but costs about 76 s of wall time, 114 s of CPU and 3.3 GB of
// memory to compile cold, for four actions
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html).
//
// Errors are smithy API errors with the code EC2 returns, and carry the
// HTTP status, so the SDK's retry rules (throttling codes such as
// RequestLimitExceeded, 5xx, broken connections) classify them as they
// would the SDK's.
package ec2query

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
)

// apiVersion is the EC2 API version of every request.
const apiVersion = "2016-11-15"

// Client calls EC2 in one account (its credentials) and region.
type Client struct {
	cfg      aws.Config
	endpoint string
	signer   *v4.Signer
}

// New returns a client for cfg's region. The endpoint is, in order,
// AWS_ENDPOINT_URL_EC2, cfg.BaseEndpoint (AWS_ENDPOINT_URL, or an override
// such as moto_server), or EC2's regional endpoint
// (ec2.<region>.amazonaws.com, .com.cn in China).
func New(cfg aws.Config) *Client {
	endpoint := os.Getenv("AWS_ENDPOINT_URL_EC2")
	if endpoint == "" && cfg.BaseEndpoint != nil {
		endpoint = *cfg.BaseEndpoint
	}
	if endpoint == "" {
		suffix := "amazonaws.com"
		if strings.HasPrefix(cfg.Region, "cn-") {
			suffix = "amazonaws.com.cn"
		}
		endpoint = "https://ec2." + cfg.Region + "." + suffix
	}
	return &Client{cfg: cfg, endpoint: strings.TrimSuffix(endpoint, "/") + "/", signer: v4.NewSigner()}
}

// Error is an error EC2 returned.
type Error struct {
	Code, Message string
	Status        int
}

func (e *Error) Error() string {
	return fmt.Sprintf("api error %s: %s", e.Code, e.Message)
}
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }
func (e *Error) HTTPStatusCode() int  { return e.Status }
func (e *Error) ErrorFault() smithy.ErrorFault {
	if e.Status >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// do sends one action and decodes its XML reply into out.
func (c *Client) do(ctx context.Context, action string, params url.Values, out any) error {
	params.Set("Action", action)
	params.Set("Version", apiVersion)
	body := params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("ec2 %s: credentials: %w", action, err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ec2", c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("ec2 %s: sign: %w", action, err)
	}
	var client aws.HTTPClient = http.DefaultClient
	if c.cfg.HTTPClient != nil {
		client = c.cfg.HTTPClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("ec2 %s: %w", action, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("ec2 %s: %w", action, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Errors []struct{ Code, Message string } `xml:"Errors>Error"`
		}
		if xml.Unmarshal(data, &e) == nil && len(e.Errors) > 0 {
			return &Error{Code: e.Errors[0].Code, Message: e.Errors[0].Message, Status: resp.StatusCode}
		}
		// No EC2 error document (a proxy or load balancer answered): name
		// the status; 429 as the throttling code the SDK's retry rules know.
		code := strings.ReplaceAll(http.StatusText(resp.StatusCode), " ", "")
		if resp.StatusCode == http.StatusTooManyRequests {
			code = "TooManyRequestsException"
		}
		msg := strings.TrimSpace(string(bytes.TrimSpace(data[:min(len(data), 200)])))
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		}
		return &Error{Code: code, Message: msg, Status: resp.StatusCode}
	}
	if out == nil {
		return nil
	}
	if err := xml.Unmarshal(data, out); err != nil {
		return fmt.Errorf("ec2 %s: read the reply: %w", action, err)
	}
	return nil
}

// Filter is one Filter.N of a Describe call.
type Filter struct {
	Name   string
	Values []string
}

func addFilters(p url.Values, filters []Filter) {
	for i, f := range filters {
		p.Set(fmt.Sprintf("Filter.%d.Name", i+1), f.Name)
		for j, v := range f.Values {
			p.Set(fmt.Sprintf("Filter.%d.Value.%d", i+1, j+1), v)
		}
	}
}

func addList(p url.Values, name string, values []string) {
	for i, v := range values {
		p.Set(fmt.Sprintf("%s.%d", name, i+1), v)
	}
}

// Tag is a resource tag.
type Tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// Vpc is what DescribeVpcs reports of a VPC.
type Vpc struct {
	VpcID     string `xml:"vpcId"`
	CidrBlock string `xml:"cidrBlock"`
	Tags      []Tag  `xml:"tagSet>item"`
}

// DescribeVpcs lists the VPCs with ids (all when none) matching filters.
func (c *Client) DescribeVpcs(ctx context.Context, ids []string, filters ...Filter) ([]Vpc, error) {
	p := url.Values{}
	addList(p, "VpcId", ids)
	addFilters(p, filters)
	var out struct {
		Vpcs []Vpc `xml:"vpcSet>item"`
	}
	if err := c.do(ctx, "DescribeVpcs", p, &out); err != nil {
		return nil, err
	}
	return out.Vpcs, nil
}

// Permission is one rule set of a security group (an IpPermission).
type Permission struct {
	IPProtocol string `xml:"ipProtocol"`
	FromPort   *int   `xml:"fromPort"`
	ToPort     *int   `xml:"toPort"`
	Groups     []struct {
		GroupID string `xml:"groupId"`
		UserID  string `xml:"userId"`
	} `xml:"groups>item"`
	IPRanges []struct {
		CidrIP string `xml:"cidrIp"`
	} `xml:"ipRanges>item"`
	IPv6Ranges []struct {
		CidrIPv6 string `xml:"cidrIpv6"`
	} `xml:"ipv6Ranges>item"`
	PrefixLists []struct {
		PrefixListID string `xml:"prefixListId"`
	} `xml:"prefixListIds>item"`
}

// SecurityGroup is what DescribeSecurityGroups reports of a group.
type SecurityGroup struct {
	GroupID     string       `xml:"groupId"`
	GroupName   string       `xml:"groupName"`
	VpcID       string       `xml:"vpcId"`
	Ingress     []Permission `xml:"ipPermissions>item"`
	Egress      []Permission `xml:"ipPermissionsEgress>item"`
	Description string       `xml:"groupDescription"`
}

// DescribeSecurityGroups lists the groups with ids (all when none)
// matching filters.
func (c *Client) DescribeSecurityGroups(ctx context.Context, ids []string, filters ...Filter) ([]SecurityGroup, error) {
	p := url.Values{}
	addList(p, "GroupId", ids)
	addFilters(p, filters)
	var out struct {
		Groups []SecurityGroup `xml:"securityGroupInfo>item"`
	}
	if err := c.do(ctx, "DescribeSecurityGroups", p, &out); err != nil {
		return nil, err
	}
	return out.Groups, nil
}

// RevokeIngress removes the inbound rules perms from a group.
func (c *Client) RevokeIngress(ctx context.Context, groupID string, perms []Permission) error {
	return c.revoke(ctx, "RevokeSecurityGroupIngress", groupID, perms)
}

// RevokeEgress removes the outbound rules perms from a group.
func (c *Client) RevokeEgress(ctx context.Context, groupID string, perms []Permission) error {
	return c.revoke(ctx, "RevokeSecurityGroupEgress", groupID, perms)
}

func (c *Client) revoke(ctx context.Context, action, groupID string, perms []Permission) error {
	p := url.Values{}
	p.Set("GroupId", groupID)
	for i, perm := range perms {
		k := fmt.Sprintf("IpPermissions.%d.", i+1)
		p.Set(k+"IpProtocol", perm.IPProtocol)
		if perm.FromPort != nil {
			p.Set(k+"FromPort", strconv.Itoa(*perm.FromPort))
		}
		if perm.ToPort != nil {
			p.Set(k+"ToPort", strconv.Itoa(*perm.ToPort))
		}
		for j, g := range perm.Groups {
			p.Set(fmt.Sprintf("%sGroups.%d.GroupId", k, j+1), g.GroupID)
			if g.UserID != "" {
				p.Set(fmt.Sprintf("%sGroups.%d.UserId", k, j+1), g.UserID)
			}
		}
		for j, r := range perm.IPRanges {
			p.Set(fmt.Sprintf("%sIpRanges.%d.CidrIp", k, j+1), r.CidrIP)
		}
		for j, r := range perm.IPv6Ranges {
			p.Set(fmt.Sprintf("%sIpv6Ranges.%d.CidrIpv6", k, j+1), r.CidrIPv6)
		}
		for j, r := range perm.PrefixLists {
			p.Set(fmt.Sprintf("%sPrefixListIds.%d.PrefixListId", k, j+1), r.PrefixListID)
		}
	}
	return c.do(ctx, action, p, nil)
}

// PrefixList is what DescribeManagedPrefixLists reports of a prefix list.
type PrefixList struct {
	PrefixListID   string `xml:"prefixListId"`
	PrefixListName string `xml:"prefixListName"`
	OwnerID        string `xml:"ownerId"`
}

// DescribeManagedPrefixLists lists the prefix lists matching filters, such
// as prefix-list-name ("com.amazonaws.eu-west-1.s3", the addresses of S3's
// gateway endpoints in the region).
func (c *Client) DescribeManagedPrefixLists(ctx context.Context, filters ...Filter) ([]PrefixList, error) {
	p := url.Values{}
	addFilters(p, filters)
	var out struct {
		PrefixLists []PrefixList `xml:"prefixListSet>item"`
	}
	if err := c.do(ctx, "DescribeManagedPrefixLists", p, &out); err != nil {
		return nil, err
	}
	return out.PrefixLists, nil
}
