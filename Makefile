# The README's commands: `make demo` (the main job) and `make test` (the tests, with every bench/ script's --quick mode:
# tests/test_benches.py). `make bench` runs bench/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEBIAN_PACKAGES := libavcodec59 libavformat59 libavutil57 libswscale6 libswresample4 libavdevice59 libavfilter8 \
                   libegl1 libegl-mesa0 libgl1-mesa-dri
export HF_EVALUATE_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup system-packages test lint demo bench clean

# Installs the Debian packages that are missing (FFmpeg shared libraries for torchcodec, Mesa EGL for rendering).
system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(VENV)/.installed: pyproject.toml constraints-cpu.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints-cpu.txt -e '.[render,test,dev]'
	touch $@

setup: system-packages $(VENV)/.installed

lint: setup
	$(VENV)/bin/ruff check .

# The suite runs in pytest-xdist workers, one per core (TEST_WORKERS=0 runs it in this process), each taking whole test
# modules (their module fixtures are built once, their tests run in order), the slow ones first (tests/conftest.py),
# and prints its 10 slowest tests. Then the tests that compare floats across code paths run once more, both runs at
# once: with numpy, torch and BLAS held to AVX2 (the CPU family of an AMD EPYC) and with oneDNN held to AVX-512 without
# bf16 instructions (many cloud Intel machines; tests/cpu_families.py), so a test that holds on one kind only fails
# here, not on CI.
TEST_WORKERS ?= auto
test: setup lint
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=10
	$(PY) tests/cpu_families.py avx2 avx512_core -q -m cpu_sensitive

# make demo CPU_KIND=avx2 (or avx512_core): the demo under an emulated CPU kind (mt_models.runtime.fast_path.CPU_KINDS).
demo: setup
	$(if $(CPU_KIND),$(PY) -m mt_models.runtime.fast_path $(CPU_KIND)) $(PY) examples/demo.py

# Blender (bpy, the anchor of the generation benchmark) lives in its own virtualenv: it pins its own numpy.
BPY_VENV := .venv-bpy
$(BPY_VENV)/.installed:
	$(PYTHON) -m venv $(BPY_VENV)
	$(BPY_VENV)/bin/pip install -q 'bpy>=4.2,<4.6' || echo "bpy could not be installed: the generation benchmark reports Blender as missing"
	touch $@

bench: setup $(BPY_VENV)/.installed
	MT_BENCH_BPY_PYTHON=$(BPY_VENV)/bin/python $(PY) bench/run_all.py

clean:
	rm -rf $(VENV) $(BPY_VENV) demo_results .pytest_cache
