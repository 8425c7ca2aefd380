package cli

import (
	"context"
	"io"

	"github.com/tenantstorage/tenantstorage-operator/internal/awsauth"
	"github.com/tenantstorage/tenantstorage-operator/internal/preflight"
	"github.com/tenantstorage/tenantstorage-operator/internal/verify"
)

func runPreflight(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("preflight", "-f tenant.yaml [--name n] [--service-role-arn arn] [--client-role-pattern p] [--aws-region r]", stderr)
	var tenant tenantFlags
	tenant.register(fs, false)
	serviceRole := fs.String("service-role-arn", "", "the vendor's service role, assumed from your AWS identity (the SDK's default chain; AWS_ENDPOINT_URL is honoured) and used to assume the tenant's role. Empty: your identity assumes it directly")
	pattern := fs.String("client-role-pattern", "", "the role ARN pattern the service role may assume, to explain AssumeRole denials, e.g. arn:aws:iam::*:role/AlphaSense-DocumentStorage-ClientRole-*")
	region := fs.String("aws-region", "", "region of the service role's STS calls (default: the SDK's, else the tenant's)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if tenant.file == "" {
		// preflight is for tenants not applied yet; the cluster's own are
		// verified by the operator.
		fs.Usage()
		return exitUsage
	}
	ts, err := tenant.load(ctx)
	if err != nil {
		return fail(stderr, "preflight", err)
	}
	base, err := awsauth.LoadBase(ctx, awsauth.BaseOptions{Region: *region})
	if err != nil {
		return fail(stderr, "preflight", err)
	}
	if base.Region == "" {
		base.Region = ts.Spec.Region
	}
	v := &verify.Verifier{Sessions: awsauth.New(base, *serviceRole), ClientRolePattern: *pattern}
	passed, err := preflight.Run(ctx, v, ts, stdout)
	if err != nil {
		return fail(stderr, "preflight", err)
	}
	if !passed {
		return exitFailed
	}
	return exitOK
}
