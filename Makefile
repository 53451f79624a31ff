# jumpchain — the two user-facing commands are `make demo` and `make test`.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: demo test deps test-deps build lint format bench bench-rollout clean fuzz fuzz-sim

# Installs libcurl4-openssl-dev and libpq-dev only when missing (a fresh Debian machine has only the runtimes).
deps:
	@if ! pkg-config --exists libcurl 2>/dev/null; then \
		echo "installing libcurl4-openssl-dev (missing)"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y libcurl4-openssl-dev pkg-config; \
	fi
	@if ! pkg-config --exists libpq 2>/dev/null; then \
		echo "installing libpq-dev (missing)"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y libpq-dev pkg-config; \
	fi

# The PostgreSQL server binaries the state-backend tests start a throwaway cluster with (never started as a
# service). Where it cannot be installed, those tests are skipped with the reason printed. iproute2 (`ip`) for
# the network-namespace rig (as root, as in CI); without it or root those tests print why and run the same
# scenarios on loopback with the other side's listeners blackholed.
test-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing postgresql for the state-backend tests (missing)"; \
		( $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql ) \
			|| echo "could not install postgresql: the PostgreSQL tests will be skipped"; \
	fi
	@if ! command -v ip >/dev/null 2>&1 && ! [ -x /usr/sbin/ip ] && ! [ -x /sbin/ip ]; then \
		echo "installing iproute2 for the network-namespace rig tests (missing)"; \
		( $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 ) \
			|| echo "could not install iproute2: the two-network tests will run blackholed on loopback"; \
	fi

build: deps
	$(SWIFT) build

# Runs the main job end to end on the embedded simulator.
demo: deps
	$(SWIFT) build --product jumpchain
	$$($(SWIFT) build --show-bin-path)/jumpchain demo

# The whole test suite (Swift Testing), the spec-driven fuzzing of the simulator, then the formatter's lint.
test: deps test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) fuzz-sim
	$(MAKE) lint

# schemathesis (pinned, in a virtualenv under .build-fuzz/) against `jumpchain sim` with Confluent's OpenAPI
# documents from ../shared/specs; skips with the reason when they or pip are unavailable.
fuzz-sim:
	scripts/fuzz-sim.sh

# Coverage-guided fuzzing (libFuzzer) of the playbook, secret-reference and properties parsers; not part of
# `make test`. FUZZ_SECONDS (default 120) bounds each run.
fuzz: deps
	scripts/fuzz-playbooks.sh

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

bench: deps
	$(SWIFT) build -c release --product WorkflowBenchmark
	$$($(SWIFT) build -c release --show-bin-path)/WorkflowBenchmark

# A rollout of N topics (default 1000) on a rate-limited simulator; see benchmarks/README.md. N, P, R, L override.
bench-rollout: deps
	$(SWIFT) build -c release --product jumpchain
	JUMPCHAIN_BIN=$$($(SWIFT) build -c release --show-bin-path)/jumpchain benchmarks/bench-rollout.sh

clean:
	rm -rf .build .build-fuzz .build-fuzzer
