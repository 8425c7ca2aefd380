package controllers_test

import (
	"context"
	"fmt"
	"hash/fnv"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	storagev1alpha1 "github.com/tenantstorage/tenantstorage-operator/api/v1alpha1"
	"github.com/tenantstorage/tenantstorage-operator/internal/seedworld"
)

// customers are the customers of the test world; each test file registers
// its own with customer(), before the suite builds the world.
var customers []seedworld.Customer

// customer registers a customer of the test world, set up exactly as the
// guides say, with its own account (derived from the name) so that a
// scenario breaking one customer leaves the others alone.
func customer(name string, mode seedworld.Mode) seedworld.Customer {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	c := seedworld.Customer{Name: name, AccountID: fmt.Sprintf("%012d", 200000000000+h.Sum64()%100000000000), Mode: mode}.Fill()
	customers = append(customers, c)
	return c
}

// tenant is the TenantStorage a platform team writes for c, from the values
// the customer sends back (guide 000, Example Configuration).
func tenant(name string, c seedworld.Customer) *storagev1alpha1.TenantStorage {
	return &storagev1alpha1.TenantStorage{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: storagev1alpha1.TenantStorageSpec{
			RoleArn:    c.RoleARN(),
			Region:     c.Region,
			ExternalID: c.ExternalID,
			BucketArn:  c.BucketARN(),
			KMSKeyArn:  c.KeyARN(),
		},
	}
}

func create(ts *storagev1alpha1.TenantStorage) {
	Expect(k8sClient.Create(context.Background(), ts)).To(Succeed())
}

func fetch(g Gomega, ts *storagev1alpha1.TenantStorage) *storagev1alpha1.TenantStorage {
	got := &storagev1alpha1.TenantStorage{}
	g.Expect(k8sClient.Get(context.Background(), client.ObjectKeyFromObject(ts), got)).To(Succeed())
	return got
}

// cond is a condition reduced to what the tests assert.
type cond struct {
	Status  metav1.ConditionStatus
	Reason  string
	Message string
}

func conditionOf(ts *storagev1alpha1.TenantStorage, t string) cond {
	c := meta.FindStatusCondition(ts.Status.Conditions, t)
	if c == nil {
		return cond{}
	}
	return cond{Status: c.Status, Reason: c.Reason, Message: c.Message}
}

func condIs(status metav1.ConditionStatus, reason string) func(cond) bool {
	return func(c cond) bool { return c.Status == status && c.Reason == reason }
}
