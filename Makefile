# The two commands a user needs: `make demo` and `make test`.
SWIFT_CONFIG := -c release
TESSERA := .build/release/tessera

.PHONY: demo test build bootstrap clean

bootstrap:
	@scripts/bootstrap

build: bootstrap
	swift build $(SWIFT_CONFIG)

test: build
	swift test $(SWIFT_CONFIG) -Xswiftc -enable-testing

demo: build
	@scripts/demo $(TESSERA)

clean:
	rm -rf .build
