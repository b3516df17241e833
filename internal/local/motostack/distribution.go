package motostack

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/samlocal"
)

// cachingDisabled is the managed CachingDisabled policy, which stands in for
// the template's own app cache policy: moto has no custom cache policies.
const cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"

// createDistribution creates the distribution with the template's origins
// and cache behaviours. Only what the local run reads is built: origin ids
// and kinds, behaviours' path patterns, targets and policies. A custom
// origin's domain (the HTTP API's, not known locally) is a placeholder; an
// S3 origin's is the bucket's regional domain.
func (s *Stack) createDistribution(ctx context.Context, tpl *samlocal.Template, stackName string) error {
	props, err := tpl.Resource(distributionID, "AWS::CloudFront::Distribution")
	if err != nil {
		return err
	}
	dc, _ := props["DistributionConfig"].(map[string]any)
	origins, s3Origins, err := s.origins(dc)
	if err != nil {
		return err
	}
	def, _ := dc["DefaultCacheBehavior"].(map[string]any)
	defBehavior, err := behavior(def)
	if err != nil {
		return fmt.Errorf("%s: DefaultCacheBehavior: %w", distributionID, err)
	}
	var behaviors []cftypes.CacheBehavior
	list, _ := dc["CacheBehaviors"].([]any)
	for i, b := range list {
		m, _ := b.(map[string]any)
		cb, err := behavior(m)
		if err != nil {
			return fmt.Errorf("%s: CacheBehaviors[%d]: %w", distributionID, i, err)
		}
		pattern, err := text(m, "PathPattern")
		if err != nil {
			return fmt.Errorf("%s: CacheBehaviors[%d]: %w", distributionID, i, err)
		}
		if s3Origins[aws.ToString(cb.TargetOriginId)] {
			s.AssetPrefixes = append(s.AssetPrefixes, strings.TrimSuffix(strings.TrimSuffix(pattern, "*"), "/"))
		}
		behaviors = append(behaviors, cftypes.CacheBehavior{PathPattern: aws.String(pattern), TargetOriginId: cb.TargetOriginId,
			ViewerProtocolPolicy: cb.ViewerProtocolPolicy, CachePolicyId: cb.CachePolicyId})
	}
	out, err := s.CloudFront.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference:      aws.String("djfront-" + stackName),
		Comment:              aws.String("djfront " + stackName + " (local)"),
		Enabled:              aws.Bool(true),
		Origins:              &cftypes.Origins{Quantity: aws.Int32(int32(len(origins))), Items: origins},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: defBehavior.TargetOriginId, ViewerProtocolPolicy: defBehavior.ViewerProtocolPolicy, CachePolicyId: defBehavior.CachePolicyId},
		CacheBehaviors:       &cftypes.CacheBehaviors{Quantity: aws.Int32(int32(len(behaviors))), Items: behaviors},
	}})
	if err != nil {
		return fmt.Errorf("create distribution: %w", err)
	}
	s.DistributionID = aws.ToString(out.Distribution.Id)
	return nil
}

// origins returns the distribution's origins and which of them are S3's.
func (s *Stack) origins(dc map[string]any) ([]cftypes.Origin, map[string]bool, error) {
	list, _ := dc["Origins"].([]any)
	if len(list) == 0 {
		return nil, nil, fmt.Errorf("%s: no Origins", distributionID)
	}
	var origins []cftypes.Origin
	s3Origins := map[string]bool{}
	for i, o := range list {
		m, _ := o.(map[string]any)
		id, err := text(m, "Id")
		if err != nil {
			return nil, nil, fmt.Errorf("%s: Origins[%d]: %w", distributionID, i, err)
		}
		origin := cftypes.Origin{Id: aws.String(id)}
		switch {
		case m["S3OriginConfig"] != nil:
			s3Origins[id] = true
			origin.DomainName = aws.String(s.Bucket + ".s3." + motoserver.Region + ".amazonaws.com")
			origin.S3OriginConfig = &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")}
		case m["CustomOriginConfig"] != nil:
			origin.DomainName = aws.String(strings.ToLower(id) + ".execute-api." + motoserver.Region + ".amazonaws.com")
			origin.CustomOriginConfig = &cftypes.CustomOriginConfig{
				HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443), OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpsOnly,
			}
		default:
			return nil, nil, fmt.Errorf("%s: origin %s is neither S3OriginConfig nor CustomOriginConfig", distributionID, id)
		}
		origins = append(origins, origin)
	}
	return origins, s3Origins, nil
}

// behavior reads a cache behaviour's target, viewer protocol policy and
// cache policy (cachingDisabled for one of the template's own).
func behavior(m map[string]any) (cftypes.CacheBehavior, error) {
	target, err := text(m, "TargetOriginId")
	if err != nil {
		return cftypes.CacheBehavior{}, err
	}
	viewer, err := text(m, "ViewerProtocolPolicy")
	if err != nil {
		return cftypes.CacheBehavior{}, err
	}
	policy, ok := m["CachePolicyId"].(string)
	if !ok {
		policy = cachingDisabled
	}
	return cftypes.CacheBehavior{TargetOriginId: aws.String(target), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicy(viewer), CachePolicyId: aws.String(policy)}, nil
}

// Invalidation is a CloudFront invalidation as the moto server recorded it.
type Invalidation struct {
	ID, CallerReference string
	Paths               []string
}

// Invalidations returns the distribution's invalidations, oldest first.
func (s *Stack) Invalidations(ctx context.Context) ([]Invalidation, error) {
	list, err := s.CloudFront.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(s.DistributionID)})
	if err != nil {
		return nil, fmt.Errorf("list invalidations of %s: %w", s.DistributionID, err)
	}
	items := list.InvalidationList.Items
	sort.SliceStable(items, func(i, j int) bool { return aws.ToTime(items[i].CreateTime).Before(aws.ToTime(items[j].CreateTime)) })
	var out []Invalidation
	for _, it := range items {
		got, err := s.CloudFront.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(s.DistributionID), Id: it.Id})
		if err != nil {
			return nil, fmt.Errorf("get invalidation %s: %w", aws.ToString(it.Id), err)
		}
		inv := Invalidation{ID: aws.ToString(it.Id)}
		if b := got.Invalidation.InvalidationBatch; b != nil {
			inv.CallerReference = aws.ToString(b.CallerReference)
			if b.Paths != nil {
				inv.Paths = b.Paths.Items
			}
		}
		out = append(out, inv)
	}
	return out, nil
}
