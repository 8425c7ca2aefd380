package v1alpha1_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/tenantstorage/tenantstorage-operator/internal/testenv"
)

var _ = Describe("kubectl explain", func() {
	It("shows every spec field's documentation", func() {
		data, err := os.ReadFile(filepath.Join(testenv.Root(), "config", "crd", "bases", "storage.tenantstorage.dev_tenantstorages.yaml"))
		Expect(err).NotTo(HaveOccurred())
		crd := &apiextensionsv1.CustomResourceDefinition{}
		Expect(yaml.Unmarshal(data, crd)).To(Succeed())
		fields := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties
		Expect(fields).To(HaveLen(12))

		// The API server publishes a new CRD's OpenAPI a moment after
		// establishing it.
		var out string
		Eventually(func() error {
			var err error
			out, err = kubectl("explain", "tenantstorage.spec")
			return err
		}).WithTimeout(30 * time.Second).Should(Succeed())
		for name, field := range fields {
			Expect(field.Description).To(MatchRegexp(`^`+name+`\b`), "field comments start with the JSON field name")
			Expect(out).To(ContainSubstring("  "+name+"\t"), "field %s listed", name)
			firstLine := strings.SplitN(field.Description, "\n", 2)[0]
			Expect(out).To(ContainSubstring(firstLine), "field %s documented", name)
		}

		secret, err := kubectl("explain", "tenantstorage.spec.secret")
		Expect(err).NotTo(HaveOccurred())
		Expect(secret).To(ContainSubstring("minRemaining is the least lifetime credentials must have left"))
	})
})

func kubectl(args ...string) (string, error) {
	k, err := admin.Kubectl()
	if err != nil {
		return "", err
	}
	stdout, stderr, err := k.Run(args...)
	if err != nil {
		errText, _ := io.ReadAll(stderr)
		return "", fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, errText)
	}
	out, err := io.ReadAll(stdout)
	return string(out), err
}
