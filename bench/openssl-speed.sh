#!/usr/bin/env bash
# The figures `coffer bench` is compared with: OpenSSL on this machine, both cores, no HSM, no
# network, no audit. RSA-2048 and P-256 signatures/s, and AES-256-GCM throughput at 1 KiB blocks
# (converted to operations/s, one operation = one 1 KiB encryption).
#
#   bash bench/openssl-speed.sh
set -euo pipefail

openssl version
echo "cores: $(nproc)"

sig=$(openssl speed -seconds 3 -multi 2 rsa2048 ecdsap256 2>/dev/null)
# Machine-readable lines: +F2:<n>:<bits>:<sign/s>:<verify/s> (RSA), +F4:<n>:<bits>:<sign/s>:<verify/s> (ECDSA).
rsa=$(echo "$sig" | awk -F: '$1=="+F2" && $3==2048 {print $4}' | tail -1)
ec=$(echo "$sig" | awk -F: '$1=="+F4" && $3==256 {print $4}' | tail -1)
if [ -z "$rsa" ] || [ -z "$ec" ]; then
  # OpenSSL 3 prints the summary table; take sign/s from it.
  rsa=$(echo "$sig" | awk '/^rsa  *2048 bits/ {print $(NF-1)}' | tail -1)
  ec=$(echo "$sig" | awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1)}' | tail -1)
fi

aes=$(openssl speed -seconds 3 -multi 2 -evp aes-256-gcm 2>/dev/null)
# +F:<n>:<name>:<16>:<64>:<256>:<1024>:<8192>:<16384> in bytes/s; the 1024 column is field 7.
aes_bps=$(echo "$aes" | awk -F: '$1=="+F" {print $7}' | tail -1)
if [ -z "$aes_bps" ]; then
  aes_kbps=$(echo "$aes" | awk '/^(AES-256-GCM|aes-256-gcm)/ {print $(NF-2)}' | tail -1 | tr -d k)
  aes_bps=$(awk -v k="$aes_kbps" 'BEGIN {print k * 1000}')
fi

echo
echo "openssl speed, 2 processes (-multi 2), 3 s each:"
printf '  %-30s %12.0f sign/s\n' "rsa2048 (PKCS#1 v1.5 sign)" "$rsa"
printf '  %-30s %12.0f sign/s\n' "ecdsap256" "$ec"
awk -v b="$aes_bps" 'BEGIN { printf "  %-30s %12.0f ops/s  (%.0f MB/s at 1 KiB blocks)\n", "aes-256-gcm, 1 KiB", b / 1024, b / 1e6 }'
