package awsauth

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// BaseOptions tune the base config every client is built from.
type BaseOptions struct {
	// Region is the default region, for the service role's STS calls.
	Region string
	// RateLimit caps AWS call attempts per second across all tenants
	// (0: no cap), so that a fleet restart stays under AWS's quotas (STS's
	// cannot be raised) instead of meeting Throttling.
	RateLimit float64
	// APIOptions are added to every client's middleware stack (metrics).
	APIOptions []func(*middleware.Stack) error
}

// LoadBase loads the base identity from the SDK's default chain (IRSA, EKS
// Pod Identity, environment, shared config) and the standard endpoint
// variables (AWS_ENDPOINT_URL and per-service ones), with the SDK's standard
// retryer and the operator's rate limit and middleware.
func LoadBase(ctx context.Context, o BaseOptions) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = 4
				so.MaxBackoff = 5 * time.Second
			})
		}),
		config.WithAPIOptions(o.APIOptions),
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, err
	}
	if o.RateLimit > 0 {
		limiter := rate.NewLimiter(rate.Limit(o.RateLimit), max(1, int(o.RateLimit)))
		cfg.APIOptions = append(cfg.APIOptions, rateLimit(limiter))
	}
	return cfg, nil
}

// rateLimit waits for a token before every attempt, retries included: it
// sits in the finalize step after the retryer.
func rateLimit(l *rate.Limiter) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("tenantstorageRateLimit",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if err := l.Wait(ctx); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}
