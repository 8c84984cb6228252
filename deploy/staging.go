package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// s3API is the part of the S3 client the deployer uses to stage templates.
type s3API interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ s3API = (*s3.Client)(nil)

// templateKeyPrefix is where staged templates live in a template bucket.
const templateKeyPrefix = "bgc/templates/"

// templateArgs returns what CreateStack, UpdateStack and CreateChangeSet
// take as the template: the body inline when it fits, otherwise the URL of
// a copy staged (once per run) in the stack's template bucket under its
// content hash, so re-runs write the same object.
func (r *stackRun) templateArgs(ctx context.Context) (body, url *string, err error) {
	if len(r.body) <= MaxTemplateBody {
		return aws.String(r.body), nil, nil
	}
	if r.templateURL == "" {
		sum := sha256.Sum256([]byte(r.body))
		key := templateKeyPrefix + r.s.StackName + "/" + hex.EncodeToString(sum[:]) + ".template"
		r.progress(phaseChangeSet, fmt.Sprintf("staging the %d-byte template in s3://%s/%s", len(r.body), r.s.TemplateBucket, key))
		_, err := r.src.s3(r.s.Account, r.s.Region).PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(r.s.TemplateBucket),
			Key:    aws.String(key),
			Body:   strings.NewReader(r.body),
			// Templates are committed, reviewed text, not secrets; SSE-S3
			// lets CloudFormation read the object with the deploying
			// role's S3 permissions alone, without grants on the key that
			// encrypts the pipeline's artifacts.
			ServerSideEncryption: s3types.ServerSideEncryptionAes256,
			ContentType:          aws.String("text/plain"),
		})
		if err != nil {
			return nil, nil, fmt.Errorf("stage template in s3://%s/%s: %w", r.s.TemplateBucket, key, err)
		}
		r.templateURL = templateURL(r.s.TemplateBucket, r.s.Region, key)
	}
	return nil, aws.String(r.templateURL), nil
}

// templateURL is the virtual-hosted URL CloudFormation reads a staged
// template from.
func templateURL(bucket, region, key string) string {
	domain := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return fmt.Sprintf("https://%s.s3.%s.%s/%s", bucket, region, domain, key)
}
