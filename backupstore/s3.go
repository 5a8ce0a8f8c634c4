package backupstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/clusterwright/clusterwright/domain"
)

// S3Config says which S3-compatible bucket backups go to. The secret key
// is a setting of the service: it is never logged, recorded or returned.
type S3Config struct {
	// Endpoint is the server's URL (https://s3.example:9000); empty means
	// AWS's endpoint of Region.
	Endpoint string
	Region   string
	Bucket   string
	// Prefix is the folder in the bucket ("clusterwright/backups"), if any.
	Prefix string
	// PathStyle addresses the bucket in the path (ENDPOINT/BUCKET/KEY), as
	// most S3-compatible servers want, rather than as a host name.
	PathStyle bool
	// AccessKeyID and SecretAccessKey sign the requests.
	AccessKeyID     string
	SecretAccessKey string
	// HTTPClient, if set, sends the requests (a client trusting the
	// server's CA); default http.DefaultClient's transport.
	HTTPClient *http.Client
}

// S3PartSize is the size of the parts of a multipart upload: the most of an
// object that S3.Put holds in memory.
const S3PartSize = 8 << 20

// S3AbortTimeout bounds the abort of a failed multipart upload.
const S3AbortTimeout = 30 * time.Second

// S3 is a target in an S3-compatible bucket. An object larger than
// S3PartSize is uploaded in parts and becomes visible only when complete.
type S3 struct {
	client   *s3.Client
	bucket   string
	prefix   string
	location string
}

// NewS3 returns the target of cfg. It does not contact the server.
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" || cfg.Region == "" {
		return nil, errors.New("s3 backup target: bucket and region are required")
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := CheckKey(prefix); err != nil {
			return nil, fmt.Errorf("s3 backup target prefix: %w", err)
		}
	}
	opts := s3.Options{
		Region:       cfg.Region,
		UsePathStyle: cfg.PathStyle,
		// S3-compatible servers often do not know the newer default
		// checksums: send and check them only where S3 requires them.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.AccessKeyID != "" {
		opts.Credentials = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")
	}
	location := "s3://" + path.Join(cfg.Bucket, prefix)
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("s3 backup target: endpoint %q is no http(s) URL", redactURL(cfg.Endpoint))
		}
		u.User = nil // never sent as credentials, never recorded
		opts.BaseEndpoint = aws.String(u.String())
		location = strings.TrimSuffix(u.String(), "/") + "/" + path.Join(cfg.Bucket, prefix)
	}
	if cfg.HTTPClient != nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	return &S3{client: s3.New(opts), bucket: cfg.Bucket, prefix: prefix, location: location}, nil
}

// redactURL drops the user information of a URL for an error.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// Kind is domain.TargetS3.
func (t *S3) Kind() string { return domain.TargetS3 }

// Location is s3://BUCKET/PREFIX, or ENDPOINT/BUCKET/PREFIX for another
// server than AWS.
func (t *S3) Location() string { return t.location }

func (t *S3) objectKey(key string) string {
	if t.prefix == "" {
		return key
	}
	return t.prefix + "/" + key
}

// Put uploads r: in one request when it fits in a part, else in parts.
func (t *S3) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	okey := t.objectKey(key)
	part, err := readPart(r)
	if err != nil {
		return 0, fmt.Errorf("s3 put %s: %w", okey, err)
	}
	if len(part) < S3PartSize {
		_, err := t.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &t.bucket, Key: &okey,
			Body: bytes.NewReader(part), ContentLength: aws.Int64(int64(len(part)))})
		if err != nil {
			return 0, fmt.Errorf("s3 put %s: %w", okey, err)
		}
		return int64(len(part)), nil
	}
	return t.putMultipart(ctx, okey, part, r)
}

// putMultipart uploads first and the rest of r in parts of S3PartSize,
// aborting the upload when a part fails.
func (t *S3) putMultipart(ctx context.Context, okey string, first []byte, r io.Reader) (int64, error) {
	up, err := t.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &t.bucket, Key: &okey})
	if err != nil {
		return 0, fmt.Errorf("s3 put %s: start multipart upload: %w", okey, err)
	}
	abort := func(err error) (int64, error) {
		// The parts uploaded are freed; the context may be over already.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), S3AbortTimeout)
		defer cancel()
		_, _ = t.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &t.bucket, Key: &okey, UploadId: up.UploadId})
		return 0, fmt.Errorf("s3 put %s: %w", okey, err)
	}
	var parts []types.CompletedPart
	var size int64
	for part := first; len(part) > 0; {
		n := int32(len(parts) + 1)
		out, err := t.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: &t.bucket, Key: &okey, UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(part), ContentLength: aws.Int64(int64(len(part)))})
		if err != nil {
			return abort(fmt.Errorf("part %d: %w", n, err))
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
		size += int64(len(part))
		if part, err = readPart(r); err != nil {
			return abort(err)
		}
	}
	_, err = t.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &t.bucket, Key: &okey,
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return abort(fmt.Errorf("complete multipart upload: %w", err))
	}
	return size, nil
}

// readPart reads up to S3PartSize bytes of r; fewer only at its end.
func readPart(r io.Reader) ([]byte, error) {
	buf := make([]byte, S3PartSize)
	n, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return buf[:n], err
}

// Get opens the object of key.
func (t *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	okey := t.objectKey(key)
	out, err := t.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &t.bucket, Key: &okey})
	var noKey *types.NoSuchKey
	if errors.As(err, &noKey) {
		return nil, fmt.Errorf("s3 get %s: %w", okey, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("s3 get %s: %w", okey, err)
	}
	return out.Body, nil
}

// Delete removes the object of key.
func (t *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	okey := t.objectKey(key)
	if _, err := t.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &t.bucket, Key: &okey}); err != nil {
		return fmt.Errorf("s3 delete %s: %w", okey, err)
	}
	return nil
}

// List lists the bucket's keys under the target's prefix and prefix.
func (t *S3) List(ctx context.Context, prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	full := t.objectKey(prefix)
	if prefix == "" && t.prefix != "" {
		full = t.prefix + "/"
	}
	var keys []string
	pages := s3.NewListObjectsV2Paginator(t.client, &s3.ListObjectsV2Input{Bucket: &t.bucket, Prefix: &full})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3 list %s: %w", full, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if t.prefix != "" {
				k = strings.TrimPrefix(k, t.prefix+"/")
			}
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}
