-- Certificates of clusters (issue 10), as the last certificate check read them: per
-- control-plane node each certificate kubeadm manages and the cluster's CAs, plus the
-- cluster-wide ones (node ''): the API server's serving certificate seen over TLS and
-- the client certificate of the service's own admin kubeconfig. A check replaces a
-- cluster's whole set; clusters.certificate_expiry keeps the earliest not_after.

CREATE TABLE cluster_certificates (
    cluster_id uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    node       text NOT NULL DEFAULT '',       -- '' for the cluster-wide certificates
    name       text NOT NULL,                  -- kubeadm's name, e.g. apiserver, admin.conf, ca
    subject    text NOT NULL DEFAULT '',       -- the certificate's common name, when known
    ca_name    text NOT NULL DEFAULT '',       -- the signing CA (a CA: its own name)
    authority  boolean NOT NULL DEFAULT false, -- one of the cluster's CAs
    not_after  timestamptz NOT NULL,
    source     text NOT NULL CHECK (source IN ('kubeadm', 'apiserver-tls', 'service-kubeconfig')),
    checked_at timestamptz NOT NULL,
    PRIMARY KEY (cluster_id, source, node, name)
);

---- create above / drop below ----

DROP TABLE cluster_certificates;
