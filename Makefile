# The two commands a user needs: `make demo` and `make test`.
SWIFT_CONFIG := -c release
TESSERA := .build/release/tessera

.PHONY: demo test build bootstrap clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	swift build $(SWIFT_CONFIG)

test: bootstrap
	# XCTest only: no suite uses Swift Testing, whose empty run would close the log. The test
	# build also builds the executables the CLI tests run (one build, not two with other flags).
	swift test $(SWIFT_CONFIG) -Xswiftc -enable-testing --disable-swift-testing
	# The embeddable modules cross-built for aarch64 must compute what the host does.
	scripts/cross-check $(SWIFT_CONFIG) -Xswiftc -enable-testing
	# The int8 kernels of every aarch64 path (NEON, dotprod, i8mm) equal the portable ones exactly,
	# each under a qemu CPU that has it, and the run-time choice picks the best path offered.
	scripts/check-kernels-aarch64

demo: build
	@scripts/demo $(TESSERA)

clean:
	rm -rf .build
