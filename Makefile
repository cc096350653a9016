# ipuswap top-level build. Everything generated goes under $(O) (build/);
# `make help` lists the targets. V=1 shows the commands.

define HELP
usage: make [TARGET] [O=BUILD_DIR] [V=1]
  make              kernel (cached), module, scheduler, firmware, selftests
  make check        install deps, build, host tests, kselftests in VMs (CI)
  make check-full   the same with everything make check leaves out for time
  make check-debug  make check on the debug kernel (KASAN, UBSAN, KFENCE,
                    kmemleak...) in O=build-debug; KCONFIG=debug for any target
  make check-host   only the host tests (of an already built O)
  make check-vm     only the VM tests (of an already built O)
  make demo         install deps, build, boot the VM and show the path working
  make fw-arm64     cross-build the firmware for the IPU's ARM cores
  make checkpatch   run the kernel's checkpatch.pl on kmod/
  make twin-check   the native twin: firmware engine vs. host transitions
  make model        check the Promela model of the protocol with spin
  make fuzz         libFuzzer on every window parser (FUZZ_SECS per harness)
  make bench-proto  native protocol benchmark (the twin), CSV in Documentation/
  make bench        all modes side by side in the VM -> Documentation/benchmarks/
  make bench-quick  the reduced matrix (one latency, one repetition)
  make soak         DURATION=1h of workloads under firmware faults (scripts/soak)
  make docs         render Documentation/*.dot pictures
  make install      module, scx_ipuswap, ipuswap-fw, systemd units and their
                    /etc defaults (DESTDIR=, PREFIX=/usr/local); make uninstall
  make dkms-src     module sources + dkms.conf in /usr/src/ipuswap-VERSION
  make clean        remove O
endef
export HELP

O ?= $(CURDIR)/build
override O := $(abspath $(O))
# KCONFIG=debug: the debug VM kernel (selftests/config.debug), for every
# script that asks scripts/kernel-build for the tree.
KCONFIG ?=
export IPUSWAP_KCONFIG := $(KCONFIG)
# Deferred (=): the kernel package may not be installed until deps ran.
# make 4.3's $(shell) does not see exported variables: pass KCONFIG itself.
KDIR = $(shell IPUSWAP_KCONFIG='$(KCONFIG)' $(CURDIR)/scripts/kernel-build --print-dir)

# Quiet output (V=1 shows the commands): scripts/quiet.mk.
include scripts/quiet.mk
ifneq ($(V),1)
MAKEFLAGS += --no-print-directory
endif

KMOD_SRCS := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild Kbuild

.PHONY: all deps kernel module bpf fw fw-arm64 selftests check check-full check-debug check-host \
	check-vm demo checkpatch clean help model twin-check fuzz bench-proto docs \
	install uninstall dkms-src soak \
	bench bench-quick

all: kernel module bpf fw selftests

help:
	@echo "$$HELP"

deps:
	$(Q)scripts/deps

kernel:
	$(Q)scripts/kernel-build

# Kbuild of 6.12 puts objects next to the sources of an external module, so
# build from a mirror of symlinks in $(O)/kbuild to keep the tree clean.
# O= : our O reaches the kernel's make through MAKEFLAGS, where it would mean
# the kernel's own output directory.
module: kernel
	$(Q)mkdir -p $(O)/kbuild/kmod
	$(Q)ln -sf $(CURDIR)/Kbuild $(O)/kbuild/Kbuild
	$(Q)for f in $(KMOD_SRCS); do ln -sf $(CURDIR)/$$f $(O)/kbuild/$$f; done
	$(Q)$(MAKE) -C $(KDIR) M=$(O)/kbuild O= W=1 modules $(if $(Q),-s)
	$(Q)ln -sf kbuild/kmod/ipuswap.ko $(O)/ipuswap.ko
	$(call msg,MODULE,$(O)/ipuswap.ko)

bpf: kernel
	$(Q)$(MAKE) -C bpf KDIR=$(KDIR) O=$(O)/bpf

fw:
	$(Q)$(MAKE) -C ipu-firmware O=$(O)/fw

fw-arm64:
	$(Q)$(MAKE) -C ipu-firmware O=$(O)/fw-arm64 CROSS_COMPILE=aarch64-linux-gnu-
	@file $(O)/fw-arm64/ipuswap-fw | sed 's/, BuildID.*//'

selftests: kernel
	$(Q)$(MAKE) -C selftests KDIR=$(KDIR) O=$(O)/selftests
	$(Q)$(MAKE) -C selftests/bench O=$(O)/bench

checkpatch: kernel
	$(Q)$(KDIR)/scripts/checkpatch.pl --no-tree --quiet -f \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG kmod/*.c kmod/*.h && \
		echo "checkpatch: kmod/ clean"

model:
	$(Q)$(MAKE) -C selftests/model O=$(O)/model

twin-check: fw
	$(Q)$(MAKE) -C ipu-firmware O=$(O)/fw twin-check

fuzz:
	$(Q)$(MAKE) -C ipu-firmware O=$(O)/fw fuzz

bench-proto: fw
	$(Q)$(MAKE) -C ipu-firmware O=$(O)/fw bench-proto \
		CSV=$(CURDIR)/Documentation/benchmarks/proto.csv

# make soak DURATION=1h: workloads under firmware faults (scripts/soak).
soak:
	$(Q)scripts/deps
	$(Q)$(MAKE) all
	$(Q)DURATION='$(DURATION)' scripts/soak $(O)

bench:
	$(Q)scripts/deps
	$(Q)scripts/bench

bench-quick:
	$(Q)scripts/deps
	$(Q)scripts/bench --quick

# Installs what make built (scripts/install); DESTDIR and PREFIX as usual.
PREFIX ?= /usr/local
INSTALL_ENV = DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)'

install:
	$(Q)$(INSTALL_ENV) scripts/install install $(O)

uninstall:
	$(Q)$(INSTALL_ENV) scripts/install uninstall $(O)

dkms-src:
	$(Q)$(INSTALL_ENV) scripts/install dkms-src

DOT_SRCS := $(wildcard Documentation/*.dot)

docs: $(DOT_SRCS:.dot=.svg)

Documentation/%.svg: Documentation/%.dot
	$(call msg,DOT,$@)
	$(Q)dot -Tsvg $< -o $@

# make check: the README's test command. Its last line is the summary.
check:
	$(Q)scripts/deps
	$(Q)$(MAKE) all fw-arm64
	$(Q)scripts/run-tests $(O)

# make check-full: make check plus what it leaves out to stay within CI's
# time budget (README: which checks, and why each has a sibling in check).
check-full:
	$(Q)scripts/deps
	$(Q)$(MAKE) all fw-arm64
	$(Q)scripts/run-tests --full $(O)

# A module built for one kernel cannot be tested on the other: its own O.
check-debug:
	$(Q)$(MAKE) check KCONFIG=debug O=$(CURDIR)/build-debug

check-host:
	$(Q)scripts/run-tests --host-only $(O)

check-vm:
	$(Q)scripts/run-tests --vm-only $(O)

demo:
	$(Q)scripts/deps
	$(Q)$(MAKE) all
	$(Q)scripts/vm-run --timeout 900 -- scripts/demo-guest

clean:
	$(Q)rm -rf $(O)
