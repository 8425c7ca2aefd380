package controllers_test

import (
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

var faulty = customer("faulty", seedworld.Chained)

// sdkAttempts is how many times the operator's SDK clients try a call
// (awsauth.LoadBase): a fault must outlast them to reach the checks.
const sdkAttempts = 4

// The answers localaws gives for injected faults, per service.
var (
	throttleCode = map[string]string{"sts": "Throttling", "s3": "SlowDown", "kms": "ThrottlingException"}
	serverCode   = map[localaws.FaultKind]map[string]string{
		localaws.FaultInternalError: {"sts": "InternalFailure", "s3": "InternalError", "kms": "KMSInternalException"},
		localaws.FaultUnavailable:   {"sts": "ServiceUnavailable", "s3": "ServiceUnavailable", "kms": "DependencyTimeoutException"},
	}
)

// faultCase is one operation the verification makes, and what the
// operator says while AWS does not answer it.
type faultCase struct {
	service, operation string
	// caller is the principal making the call.
	caller func() string
	// server is the 5xx fault that follows two throttling answers.
	server localaws.FaultKind
	// retrying is the Reconciling message while the fault lasts.
	retrying func() string
	// usedUp limits the faults to the attempts of one call, so that they
	// are used up by one verification: nothing clears them or asks for a
	// check, and the reconciler's own retry must recover.
	usedUp bool
}

func faultOn(service, name string, caller func() string, server localaws.FaultKind, retrying func() string) faultCase {
	return faultCase{service: service, operation: name, caller: caller, server: server, retrying: retrying}
}

func (c faultCase) usedUpByOneVerification() faultCase {
	c.usedUp = true
	return c
}

var _ = Describe("transient AWS errors", Ordered, ContinueOnFailure, func() {
	var ts *storagev1alpha1.TenantStorage
	session := tenantSession(faulty, "default", "faulty")
	// steady is the verdict that no transient error may change.
	var steady map[string]cond

	BeforeAll(func() {
		ts = start(tenant("faulty", faulty))
		got := waitFor(ts, storagev1alpha1.ReadyCondition, metav1.ConditionTrue, storagev1alpha1.ReasonVerified)
		steady = healthy(faulty, session)
		Expect(conditions(got)).To(Equal(steady))
	})

	// expectSteady checks that got still has the verdict it had, with
	// Reconciling as retrying says ("" for none).
	expectSteady := func(g Gomega, got *storagev1alpha1.TenantStorage, retrying string) {
		have := conditions(got)
		if retrying != "" {
			r := have[storagev1alpha1.ReconcilingCondition]
			g.Expect(r.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(r.Reason).To(Equal(storagev1alpha1.ReasonTransientError))
			g.Expect(r.Message).To(HavePrefix("retrying after a transient AWS error: "))
			// The checks waiting for the same answer repeat its message
			// today; what matters is which answers are awaited.
			g.Expect(distinctParts(strings.TrimPrefix(r.Message, "retrying after a transient AWS error: "))).To(Equal(distinctParts(retrying)))
			delete(have, storagev1alpha1.ReconcilingCondition)
		}
		g.Expect(have).To(Equal(steady))
		g.Expect(got.Status.Actions).To(Equal(allowed(s3Actions, kmsActions)))
	}

	DescribeTable("keep Ready as it was while an operation is throttled and then fails, and recover",
		func(c faultCase) {
			DeferCleanup(aws.ClearFaults)
			aws.ResetCalls()
			// Two throttling answers, then server errors (until cleared, or
			// for the remaining attempts of one call): the SDK's retries
			// meet both and give up.
			serverCount := 0
			if c.usedUp {
				serverCount = sdkAttempts - 2
			}
			for _, f := range []localaws.Fault{
				{Service: c.service, Operation: c.operation, PrincipalARNPrefix: c.caller(), Kind: localaws.FaultThrottle, Count: 2},
				{Service: c.service, Operation: c.operation, PrincipalARNPrefix: c.caller(), Kind: c.server, Count: serverCount},
			} {
				_, err := aws.InjectFault(f)
				Expect(err).NotTo(HaveOccurred())
			}
			reverify(ts)

			eventually(func(g Gomega) {
				expectSteady(g, fetch(g, ts), c.retrying())
			}).Should(Succeed())
			Consistently(func(g Gomega) {
				expectSteady(g, fetch(g, ts), c.retrying())
			}).WithTimeout(300 * time.Millisecond).WithPolling(50 * time.Millisecond).Should(Succeed())

			answers := outcomes(c.caller(), c.service, c.operation)
			Expect(answers).To(HaveKeyWithValue(throttleCode[c.service], 2))
			Expect(answers[serverCode[c.server][c.service]]).To(BeNumerically(">=", sdkAttempts-2))

			if c.usedUp {
				Expect(aws.Faults()).To(BeEmpty(), "used up by one verification")
				Expect(answers).To(Equal(map[string]int{throttleCode[c.service]: 2, serverCode[c.server][c.service]: sdkAttempts - 2}))
				// The reconciler's backoff (5s after a transient error)
				// runs the checks again; nothing else asks it to.
				Eventually(func(g Gomega) {
					expectSteady(g, fetch(g, ts), "")
				}).WithTimeout(10 * time.Second).WithPolling(100 * time.Millisecond).Should(Succeed())
				Expect(outcomes(c.caller(), c.service, c.operation)).To(HaveKeyWithValue("OK", 1))
				return
			}
			aws.ClearFaults()
			reverify(ts)
			eventually(func(g Gomega) {
				expectSteady(g, fetch(g, ts), "")
			}).Should(Succeed())
		},
		Entry("sts AssumeRole", faultOn("sts", "AssumeRole", serviceSession, localaws.FaultInternalError, func() string {
			return "AssumeRole " + faulty.RoleARN() + ": InternalFailure: An internal error has occurred. Please try again later."
		})),
		// A HEAD answer has no body: the SDK knows S3's error by its status
		// only.
		Entry("s3 HeadBucket, faults used up by one verification: recovers on the reconciler's own retry", faultOn("s3", "HeadBucket", func() string { return session }, localaws.FaultUnavailable, func() string {
			return "s3:ListBucket: ServiceUnavailable: Service Unavailable"
		}).usedUpByOneVerification()),
		Entry("s3 ListObjectsV2", faultOn("s3", "ListObjectsV2", func() string { return session }, localaws.FaultInternalError, func() string {
			return "s3:ListBucket: InternalError: We encountered an internal error. Please try again."
		})),
		Entry("s3 PutObject", faultOn("s3", "PutObject", func() string { return session }, localaws.FaultUnavailable, func() string {
			return "s3:PutObject: ServiceUnavailable: Service is unable to handle request.; not checked: the probe object's write got no answer from AWS (ServiceUnavailable: Service is unable to handle request.)"
		})),
		Entry("s3 GetObject", faultOn("s3", "GetObject", func() string { return session }, localaws.FaultInternalError, func() string {
			return "s3:GetObject: InternalError: We encountered an internal error. Please try again."
		})),
		Entry("s3 RestoreObject", faultOn("s3", "RestoreObject", func() string { return session }, localaws.FaultUnavailable, func() string {
			return "s3:RestoreObject: ServiceUnavailable: Service is unable to handle request."
		})),
		Entry("s3 DeleteObject", faultOn("s3", "DeleteObject", func() string { return session }, localaws.FaultInternalError, func() string {
			return "s3:DeleteObject: InternalError: We encountered an internal error. Please try again."
		})),
		Entry("kms DescribeKey", faultOn("kms", "DescribeKey", func() string { return session }, localaws.FaultUnavailable, func() string {
			return "kms:DescribeKey: DependencyTimeoutException: The system timed out while trying to fulfill the request. You can retry the request."
		})),
		Entry("kms GenerateDataKey", faultOn("kms", "GenerateDataKey", func() string { return session }, localaws.FaultInternalError, func() string {
			return "kms:GenerateDataKey: KMSInternalException: The request was rejected because an internal exception occurred. The request can be retried."
		})),
		Entry("kms Decrypt", faultOn("kms", "Decrypt", func() string { return session }, localaws.FaultUnavailable, func() string {
			return "kms:Decrypt: DependencyTimeoutException: The system timed out while trying to fulfill the request. You can retry the request."
		})),
		Entry("kms Encrypt", faultOn("kms", "Encrypt", func() string { return session }, localaws.FaultInternalError, func() string {
			return "kms:Encrypt: KMSInternalException: The request was rejected because an internal exception occurred. The request can be retried."
		})),
		Entry("kms ReEncrypt", faultOn("kms", "ReEncrypt", func() string { return session }, localaws.FaultUnavailable, func() string {
			return "kms:ReEncrypt: DependencyTimeoutException: The system timed out while trying to fulfill the request. You can retry the request."
		})),
	)
})

// distinctParts splits a message joined with "; " into its distinct
// parts, in order.
func distinctParts(msg string) []string {
	var out []string
	for _, p := range strings.Split(msg, "; ") {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
