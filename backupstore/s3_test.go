package backupstore_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/clusterwright/clusterwright/backupstore"
)

// TestS3 runs the target tests against gofakes3, an S3-compatible server,
// with a large object uploaded in parts. Every request is signed with the
// access key; the secret key is in no request, location or error.
func TestS3(t *testing.T) {
	const accessKey, secretKey = "AKIDCLUSTERWRIGHT", "s3cr3t-Key-never-shown"
	backend := s3mem.New()
	if err := backend.CreateBucket("backups"); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(backend).Server()
	var mu sync.Mutex
	var requests, unsigned, parts int
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		if r.URL.Query().Has("partNumber") {
			parts++
		}
		auth := r.Header.Get("Authorization")
		if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+accessKey+"/") || strings.Contains(auth, secretKey) {
			unsigned++
		}
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	defer server.Close()

	target, err := backupstore.NewS3(backupstore.S3Config{
		Endpoint: server.URL, Region: "us-east-1", Bucket: "backups", Prefix: "clusterwright/etcd", PathStyle: true,
		AccessKeyID: accessKey, SecretAccessKey: secretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Larger than two parts: a multipart upload of three parts.
	testTarget(t, target, 2*backupstore.S3PartSize+12345)
	if want := server.URL + "/backups/clusterwright/etcd"; target.Location() != want {
		t.Errorf("location %s, want %s", target.Location(), want)
	}
	// The objects are under the prefix in the bucket.
	objects, err := backend.ListBucket("backups", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objects.Contents {
		if !strings.HasPrefix(o.Key, "clusterwright/etcd/c") {
			t.Errorf("object %s outside the prefix", o.Key)
		}
	}
	if len(objects.Contents) != 3 {
		t.Errorf("%d objects in the bucket, want 3", len(objects.Contents))
	}
	mu.Lock()
	if requests < 10 || unsigned != 0 || parts != 3 {
		t.Errorf("%d requests, %d of them not signed with the access key, %d parts uploaded (want 3)", requests, unsigned, parts)
	}
	mu.Unlock()

	// A bucket that does not exist fails with S3's error, without the secret.
	missing, err := backupstore.NewS3(backupstore.S3Config{Endpoint: "http://user:" + secretKey + "@" + server.Listener.Addr().String(),
		Region: "us-east-1", Bucket: "nope", PathStyle: true, AccessKeyID: accessKey, SecretAccessKey: secretKey})
	if err != nil {
		t.Fatal(err)
	}
	_, err = missing.Put(t.Context(), "k", strings.NewReader("x"))
	if err == nil || !strings.Contains(err.Error(), "NoSuchBucket") || strings.Contains(err.Error(), secretKey) ||
		strings.Contains(missing.Location(), secretKey) {
		t.Errorf("put into a missing bucket: %v (location %s)", err, missing.Location())
	}
}
