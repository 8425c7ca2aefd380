package main

import (
	"slices"
	"time"
)

// shape is what decides which AWS calls one verification makes (see
// internal/verify): a tenant with a client role, and which of bucket, key,
// ExternalId and S3 actions it has.
type shape struct {
	ExternalID bool
	Bucket     bool
	Key        bool
	S3Actions  []string
	// Versioned: the bucket gives the probe object a version ID, so
	// s3:DeleteObjectVersion is probed by a delete of its own.
	Versioned bool
}

// defaultShape is a tenant of the benchmark: a seedworld Chained customer
// with the CRD's default s3Actions.
var defaultShape = shape{ExternalID: true, Bucket: true, Key: true,
	S3Actions: []string{"s3:GetObject", "s3:PutObject", "s3:RestoreObject", "s3:ListBucket", "s3:DeleteObject"}}

// round is a set of AWS calls issued together; the next round starts only
// when they have all answered, so a round costs one round trip.
type round struct {
	Name  string
	Calls []string // "service Operation"
}

// criticalPath models, from the code of internal/verify, the rounds of one
// verification of a tenant with a client role, on a manager whose
// service-role session is cached (warm):
//
//   - trust (trust.go): AssumeRole with the ExternalId, without it and with
//     a wrong one, concurrently: 1 round;
//   - then the bucket (bucket.go) and key (key.go) checks run concurrently,
//     each in rounds of its own: S3 round 1 (HeadBucket, ListObjectsV2,
//     PutObject) with KMS round 1 (DescribeKey, GenerateDataKey, Encrypt),
//     S3 round 2 (GetObject, RestoreObject) with KMS round 2 (Decrypt,
//     ReEncrypt), then the probe's delete(s), one after the other.
//
// The credentials for the Secret come from the trust round's session, so
// the Secret adds no call. A cold manager first assumes the service role
// from its base identity: one round more, once per process.
func criticalPath(s shape) []round {
	trust := round{Name: "trust"}
	trust.Calls = append(trust.Calls, "sts AssumeRole")
	if s.ExternalID {
		trust.Calls = append(trust.Calls, "sts AssumeRole", "sts AssumeRole")
	}
	var bucket, key [][]string
	if s.Bucket {
		bucket = s3Rounds(s)
	}
	if s.Key {
		key = [][]string{
			{"kms DescribeKey", "kms GenerateDataKey", "kms Encrypt"},
			{"kms Decrypt", "kms ReEncrypt"},
		}
	}
	rounds := []round{trust}
	for i := range max(len(bucket), len(key)) {
		r := round{Name: "S3 and KMS"}
		if i < len(bucket) {
			r.Calls = append(r.Calls, bucket[i]...)
		}
		if i < len(key) {
			r.Calls = append(r.Calls, key[i]...)
		}
		switch {
		case i >= len(key):
			r.Name = "S3"
		case i >= len(bucket):
			r.Name = "KMS"
		}
		rounds = append(rounds, r)
	}
	return rounds
}

// s3Rounds are the bucket check's rounds; a round with no call is skipped
// (waiting on no goroutine costs nothing).
func s3Rounds(s shape) [][]string {
	wants := func(a string) bool { return slices.Contains(s.S3Actions, a) }
	var writes, reads []string
	if wants("s3:ListBucket") {
		writes = append(writes, "s3 HeadBucket", "s3 ListObjectsV2")
	}
	if wants("s3:PutObject") {
		writes = append(writes, "s3 PutObject")
	}
	if wants("s3:GetObject") {
		reads = append(reads, "s3 GetObject")
	}
	if wants("s3:GetObjectVersion") {
		reads = append(reads, "s3 GetObject")
	}
	if wants("s3:RestoreObject") {
		reads = append(reads, "s3 RestoreObject")
	}
	var out [][]string
	for _, r := range [][]string{writes, reads} {
		if len(r) > 0 {
			out = append(out, r)
		}
	}
	if wants("s3:DeleteObjectVersion") && s.Versioned && wants("s3:PutObject") {
		out = append(out, []string{"s3 DeleteObject"})
	}
	if wants("s3:DeleteObject") {
		out = append(out, []string{"s3 DeleteObject"})
	}
	return out
}

// callCount is how many calls the rounds make.
func callCount(rounds []round) int {
	n := 0
	for _, r := range rounds {
		n += len(r.Calls)
	}
	return n
}

// floor is the least time the rounds can take: one round trip each.
func floor(rounds int, latency time.Duration) time.Duration {
	return time.Duration(rounds) * latency
}

// ratio is measured over floor, or 0 without a floor.
func ratio(measured, floor time.Duration) float64 {
	if floor <= 0 {
		return 0
	}
	return float64(measured) / float64(floor)
}
