//! NAT on Azure (being written).
