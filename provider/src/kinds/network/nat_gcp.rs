//! NAT on GCP (being written).
