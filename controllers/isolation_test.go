package controllers_test

import (
	"context"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/controllers"
	"github.com/tenantstorage/tenantstorage-operator/internal/externalid"
	"github.com/tenantstorage/tenantstorage-operator/internal/localaws"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

var (
	oscorp    = customer("oscorp", seedworld.Chained)
	wayne     = customer("wayne", seedworld.Chained)
	massive   = customer("massive", seedworld.Chained)
	suspended = customer("suspended", seedworld.Chained)
)

// callsFrom are the recorded calls made as a principal of account.
func callsFrom(account string) []localaws.Call {
	var out []localaws.Call
	for _, c := range aws.Calls(localaws.CallFilter{}) {
		if strings.Contains(c.Principal, ":"+account+":") {
			out = append(out, c)
		}
	}
	return out
}

var _ = Describe("tenant isolation", func() {
	It("refuses, without calling AWS, an account the namespace may not use", func() {
		ctx := context.Background()
		ns := &corev1.Namespace{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: "team-c"}, ns)).To(Succeed())
		ns.Annotations = map[string]string{controllers.AllowedAccountsAnnotation: "111122223333, 444455556666"}
		Expect(k8sClient.Update(ctx, ns)).To(Succeed())

		aws.ResetCalls()
		ts := tenant("wayne", wayne)
		ts.Namespace = "team-c"
		create(ts)
		want := cond{metav1.ConditionFalse, storagev1alpha1.ReasonAccountNotAllowed, fmt.Sprintf(
			"roleArn is in AWS account %s, which namespace team-c may not use (its %s annotation allows 111122223333, 444455556666); no AWS call was made. Ask a cluster admin to add the account, or fix roleArn",
			wayne.AccountID, controllers.AllowedAccountsAnnotation)}
		var got *storagev1alpha1.TenantStorage
		eventually(func(g Gomega) {
			got = fetch(g, ts)
			g.Expect(conditionOf(got, storagev1alpha1.TrustVerifiedCondition)).To(Equal(want))
		}).Should(Succeed())
		Expect(conditionOf(got, storagev1alpha1.ReadyCondition)).To(Equal(cond{metav1.ConditionFalse, storagev1alpha1.ReasonAccountNotAllowed, "TrustVerified: " + want.Message}))
		Expect(conditionOf(got, storagev1alpha1.StalledCondition).Status).To(Equal(metav1.ConditionTrue))
		Expect(got.Status.Identity).To(BeEmpty())
		Expect(callsFrom(wayne.AccountID)).To(BeEmpty())

		By("verifying as soon as a cluster admin allows the account")
		ns.Annotations[controllers.AllowedAccountsAnnotation] = "111122223333," + wayne.AccountID
		Expect(k8sClient.Update(ctx, ns)).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(conditionOf(fetch(g, ts), storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		}).Should(Succeed())
	})

	It("gives a role claimed from a second namespace a Conflict, and verifies it once the first claim is gone", func() {
		ctx := context.Background()
		first := tenant("oscorp", oscorp)
		first.Namespace = "team-a"
		create(first)
		eventually(func(g Gomega) {
			g.Expect(conditionOf(fetch(g, first), storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		}).Should(Succeed())

		second := tenant("oscorp", oscorp)
		second.Namespace = "team-b"
		create(second)
		eventually(func(g Gomega) {
			g.Expect(conditionOf(fetch(g, second), storagev1alpha1.TrustVerifiedCondition)).To(Equal(cond{metav1.ConditionFalse, storagev1alpha1.ReasonConflict, fmt.Sprintf(
				"roleArn %s is already used by TenantStorage team-a/oscorp; a customer's role serves the tenants of one namespace only, so this one is not verified. Use the role the customer created for this tenant",
				oscorp.RoleARN())}))
		}).Should(Succeed())
		Expect(conditionOf(fetch(Default, first), storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))

		Expect(k8sClient.Delete(ctx, first)).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(conditionOf(fetch(g, second), storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		}).Should(Succeed())
		Expect(k8sClient.Delete(ctx, second)).To(Succeed())
	})

	It("refuses a user-chosen ExternalId when the operator only accepts generated ones, without calling AWS", func() {
		ctx := context.Background()
		key, err := externalid.GenerateKey()
		Expect(err).NotTo(HaveOccurred())
		// No Verifier at all: any AWS call would panic.
		r := &controllers.TenantStorageReconciler{Client: k8sClient, Recorder: events.NewFakeRecorder(10), Clock: clock.RealClock{},
			ExternalIDs: &key, ForbidUserExternalIDs: true}
		ts := tenant("chosen-id", acme)
		ts.Namespace = unmanagedNamespace
		create(ts)
		_, err = r.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ts.Namespace, Name: ts.Name}})
		Expect(err).NotTo(HaveOccurred())
		Expect(conditionOf(fetch(Default, ts), storagev1alpha1.TrustVerifiedCondition)).To(Equal(cond{metav1.ConditionFalse, storagev1alpha1.ReasonExternalIDNotAllowed,
			"this operator only uses ExternalIds it generates (--forbid-user-external-ids), so that no customer can choose or copy another's: remove spec.externalId and give the customer status.externalId for the trust policy's sts:ExternalId condition"}))
	})
})

var _ = Describe("generated ExternalIds", func() {
	It("are used when spec.externalId is empty, and survive re-creation from Git and a restart with status wiped", func() {
		ctx := context.Background()
		ts := tenant("massive", massive)
		ts.Spec.ExternalID = ""
		create(ts)

		var generated string
		eventually(func(g Gomega) {
			got := fetch(g, ts)
			generated = got.Status.ExternalID
			g.Expect(generated).To(HavePrefix(externalid.Prefix))
			// The customer's trust policy still names the old value.
			g.Expect(conditionOf(got, storagev1alpha1.TrustVerifiedCondition).Reason).To(Equal(storagev1alpha1.ReasonAssumeRoleDenied))
		}).Should(Succeed())

		By("the customer applies the trust policy the operator rendered for this tenant, with the generated ExternalId")
		got := fetch(Default, ts)
		Expect(got.Status.OnboardingConfigMap).To(Equal("massive-onboarding"))
		docs := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: "default", Name: got.Status.OnboardingConfigMap}, docs)).To(Succeed())
		Expect(docs.Data["trust-policy.json"]).To(ContainSubstring(`"sts:ExternalId": "` + generated + `"`))
		Expect(docs.Data["trust-policy.json"]).To(ContainSubstring(vendor.ServiceRoleARN()))
		Expect(docs.Data).To(HaveKey("permissions-policy.json"))
		Expect(docs.Data["commands.sh"]).To(ContainSubstring("aws iam create-role"))
		Expect(aws.SetRoleTrustPolicy(massive.RoleARN(), docs.Data["trust-policy.json"])).To(Succeed())
		reverify(ts)
		eventually(func(g Gomega) {
			g.Expect(conditionOf(fetch(g, ts), storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		}).Should(Succeed())

		By("deleting and re-applying the same resource")
		Expect(k8sClient.Delete(ctx, ts)).To(Succeed())
		again := tenant("massive", massive)
		again.Spec.ExternalID = ""
		eventually(func() error { return k8sClient.Create(ctx, again) }).Should(Succeed())
		eventually(func(g Gomega) {
			got := fetch(g, again)
			g.Expect(got.Status.ExternalID).To(Equal(generated))
			g.Expect(conditionOf(got, storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		}).Should(Succeed())

		By("wiping the status")
		wiped := fetch(Default, again)
		patch := client.MergeFrom(wiped.DeepCopy())
		wiped.Status = storagev1alpha1.TenantStorageStatus{}
		Expect(k8sClient.Status().Patch(ctx, wiped, patch)).To(Succeed())
		reverify(again)
		eventually(func(g Gomega) {
			got := fetch(g, again)
			g.Expect(got.Status.ExternalID).To(Equal(generated))
			g.Expect(conditionOf(got, storagev1alpha1.ReadyCondition).Status).To(Equal(metav1.ConditionTrue))
		}).Should(Succeed())

		By("a restarted operator derives the same value from the key it keeps")
		key, err := externalid.LoadOrCreateKey(ctx, k8sClient, keySecret)
		Expect(err).NotTo(HaveOccurred())
		Expect(key.ExternalID("default", "massive", 0)).To(Equal(generated))
	})
})

var _ = Describe("spec.suspend", func() {
	It("catches observedGeneration up without verifying, so GitOps tools do not wait forever", func() {
		ts := tenant("suspended", suspended)
		ts.Spec.Suspend = true
		create(ts)
		eventually(func(g Gomega) {
			got := fetch(g, ts)
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
			g.Expect(got.Status.Conditions).To(BeEmpty())
			g.Expect(got.Status.LastVerifiedTime).To(BeNil())
		}).Should(Succeed())
		Expect(callsFrom(suspended.AccountID)).To(BeEmpty())
		Expect(k8sClient.Delete(context.Background(), ts)).To(Succeed())
	})
})
