# Coffer: the two commands a newcomer needs are `make up` and `make test`.
SHELL := /bin/bash
NPM_STAMP := node_modules/.install-stamp
# openssl for interop tests; opensc (pkcs11-tool) and valgrind for the PKCS#11 module's tests;
# softhsm2, a second PKCS#11 module, for coffer-pkpspeed's test and bench/pkcs11-compare.sh;
# the real clients test/pkcs11-clients/ drives: OpenSSL's pkcs11 engine, nginx, curl, GnuTLS's
# p11tool, OpenSSH and Java 17 (SunPKCS11); etcd-server, the cluster store's tests' etcd members.
DEBIAN_TEST_PACKAGES := openssl opensc valgrind softhsm2 libengine-pkcs11-openssl nginx curl \
  gnutls-bin openssh-client openjdk-17-jdk-headless etcd-server

.PHONY: up cluster cluster-down test build native pkcs11 pkcs11-sanitize lint format deps debian-deps clean

## make up: install, build (the node and the PKCS#11 module), and run one dev node on the
## embedded SQLite store (./.coffer).
up: build pkcs11
	node dist/src/cli/main.js up $(ARGS)

## make cluster: a local production cluster — 3 etcd members and 3 nodes (zones zone-a/b/c) on
## loopback, state in ./.coffer-cluster — in the foreground; Ctrl-C stops all of it.
## ARGS=--background returns once it is ready; make cluster-down stops it.
CLUSTER_STATE ?= .coffer-cluster
cluster: build pkcs11
	@bash scripts/debian-packages.sh etcd-server
	node dist/src/cluster/local-cluster-main.js up --state-dir $(CLUSTER_STATE) $(ARGS)

cluster-down:
	node dist/src/cluster/local-cluster-main.js down --state-dir $(CLUSTER_STATE)

## make test: install what the tests need, build, lint, and run every test.
test: debian-deps build pkcs11 pkcs11-sanitize lint
	node scripts/run-tests.mjs

build: deps native
	npx tsc -p tsconfig.json

# The node's native addon (native/build/coffer_digest_sign.node): RSA-PSS and ECDSA over a
# caller's digest, through the OpenSSL inside Node. It needs a C compiler and Node's headers
# (<node prefix>/include/node), nothing downloaded.
native:
	@bash scripts/debian-packages.sh gcc make
	$(MAKE) -C native

# The PKCS#11 module (pkcs11/build/libcoffer-pkcs11.so), its benchmark and C test programs. Two
# make runs: the second reads pkg-config after the first has installed the build packages.
pkcs11:
	$(MAKE) -C pkcs11 debian-deps
	$(MAKE) -C pkcs11 all test

# The same under ASan/UBSan, for the tests: built once here, before test files run two at a time.
pkcs11-sanitize: pkcs11
	$(MAKE) -C pkcs11 sanitize

lint: deps
	npx eslint .
	npx prettier --check .

format: deps
	npx prettier --write .

deps: $(NPM_STAMP)

# npm ci runs only when the lockfile changed since the last install.
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NPM_STAMP)

# The tests drive the openssl CLI for interoperability; install it when missing.
debian-deps:
	@bash scripts/debian-packages.sh $(DEBIAN_TEST_PACKAGES)

clean:
	rm -rf dist node_modules/.install-stamp
	$(MAKE) -C native clean
	$(MAKE) -C pkcs11 clean
