package temporalrt

import (
	"log/slog"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
)

// ClientOptions returns client options for the frontend at hostPort and the
// given namespace that encrypt every payload with key (older keys in old still
// decrypt) and also encrypt failure messages and stack traces, which Temporal
// otherwise stores in plain text. SDK logs go to logger, or to slog.Default()
// when logger is nil.
func ClientOptions(hostPort, namespace string, key []byte, logger *slog.Logger, old ...[]byte) (client.Options, error) {
	dc, err := NewDataConverter(key, old...)
	if err != nil {
		return client.Options{}, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	return client.Options{
		HostPort:      hostPort,
		Namespace:     namespace,
		DataConverter: dc,
		FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
			DataConverter:          dc,
			EncodeCommonAttributes: true,
		}),
		Logger: sdklog.NewStructuredLogger(logger),
	}, nil
}
