storage "raft" {
  path    = "/openbao/data"
  node_id = "openbao-1"
}
listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_cert_file   = "/openbao/tls/openbao.crt"
  tls_key_file    = "/openbao/tls/openbao.key"
  tls_min_version = "tls12"
}
api_addr     = "https://openbao:8200"
cluster_addr = "https://openbao:8201"
ui           = false
