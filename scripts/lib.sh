# shellcheck shell=bash
# Common helpers for minikvm's lab scripts: where things are cached, which Debian kernel
# packages make up a test host, and how to fetch and unpack them. Sourced, never run.

MINIKVM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MINIKVM_CACHE:-$MINIKVM_TOP/.cache}
mkdir -p "$CACHE"

die() { echo "minikvm: $*" >&2; exit 1; }
log() { echo "minikvm: $*" >&2; }

# Debian arch name for a kernel arch.
deb_arch() {
	case $1 in
	x86_64) echo amd64 ;;
	arm64) echo arm64 ;;
	*) die "unknown arch '$1' (x86_64 or arm64)" ;;
	esac
}

# Kernel flavour used for test hosts: cloud-amd64 boots in seconds in Bochs (LZ4); the
# generic amd64 flavour is XZ-compressed and takes ~100 s to unpack there.
flavour() {
	case $1 in
	x86_64) echo cloud-amd64 ;;
	arm64) echo arm64 ;;
	esac
}

# The toolchain prefix (CROSS_COMPILE's meaning) that builds for ARCH on this machine: none
# for x86_64 and for an arm64 machine's own arch, else Debian's aarch64 cross compiler,
# installed on first use. Run it as $(cross_prefix ARCH): it prints the prefix.
cross_prefix() {
	case $1 in
	x86_64) ;;
	arm64)
		[ "$(uname -m)" = aarch64 ] && return 0
		need_pkgs gcc-aarch64-linux-gnu
		echo aarch64-linux-gnu- ;;
	*) die "unknown arch '$1'" ;;
	esac
}

# Waits until fewer than N of this shell's background jobs are running: call it before
# starting another, so that at most N run at once.
wait_for_job_slot() {
	while [ "$(jobs -rp | wc -l)" -ge "$1" ]; do wait -n; done
}

# apt-get update once per day of cache; needed before any apt-cache look-up works. Several
# scripts of one run may ask at once: one updates, the others wait for it.
apt_ready() {
	local stamp=$CACHE/.apt-updated
	[ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ] && return 0
	(
		flock 9
		[ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ] && exit 0
		dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
		apt-get update -qq >&2 || die "apt-get update failed"
		touch "$stamp"
	) 9>"$CACHE/.apt-update.lock" || exit 1
}

# The packages of "$@" that are not installed.
missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
	done
}

# Install host tools by Debian package name, only those missing, one apt-get at a time (dpkg
# holds its own lock and a second apt-get would fail on it rather than wait).
need_pkgs() {
	[ -z "$(missing_pkgs "$@")" ] && return 0
	(
		flock 9
		local missing
		mapfile -t missing < <(missing_pkgs "$@")
		[ ${#missing[@]} -eq 0 ] && exit 0
		apt_ready
		log "installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
			die "apt-get install ${missing[*]} failed"
	) 9>"$CACHE/.apt-install.lock" || exit 1
}

# The kernel release (uname -r without flavour) to use for a series: "6.1" or "6.12".
# 6.1 follows the linux-image-cloud-amd64 meta package; 6.12 takes the newest +deb12
# release that exists for both arches. The answer is cached so that runs agree.
kernel_abi() {
	local series=$1 f=$CACHE/abi-$1 abi
	if [ -s "$f" ]; then cat "$f"; return; fi
	apt_ready
	case $series in
	6.1)
		abi=$(apt-cache depends linux-image-cloud-amd64 |
			sed -n 's/.*linux-image-\(6\.1\.0-[0-9]*\)-cloud-amd64.*/\1/p' | head -1) ;;
	6.12)
		abi=$(apt-cache search --names-only '^linux-image-6\.12\..*\+deb12-arm64-unsigned$' |
			sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12\)-arm64-unsigned.*/\1/p' |
			sort -V | while read -r v; do
				apt-cache show "linux-image-$v-cloud-amd64-unsigned" >/dev/null 2>&1 &&
					echo "$v"
			done | tail -1) ;;
	*) die "unknown kernel series '$series' (6.1 or 6.12)" ;;
	esac
	[ -n "$abi" ] || die "no Debian kernel found for series $series"
	echo "$abi" >"$f"
	echo "$abi"
}

# kbuild package of a kernel ABI: linux-kbuild-6.1 or linux-kbuild-6.12.N+deb12.
kbuild_pkg() {
	case $1 in
	6.1.*) echo linux-kbuild-6.1 ;;
	*) echo "linux-kbuild-$1" ;;
	esac
}

# A package's mark in DIR once it is unpacked there.
deb_stamp() { echo "$2/.got-$(echo "$1" | tr ':/' '__')"; }

# Unpack the newest downloaded .deb of PKG (NAME or NAME:ARCH) into DIR and mark it with the
# .deb's name.
unpack_deb() {
	local pkg=$1 dir=$2 name=${1%%:*} arch=${1#*:} deb
	[ "$arch" = "$pkg" ] && arch=
	deb=$(ls -t "$CACHE/debs/${name}_"*"${arch:+_$arch}.deb" 2>/dev/null | head -1)
	[ -n "$deb" ] || deb=$(ls -t "$CACHE/debs/${name}_"*.deb | head -1)
	dpkg -x "$deb" "$dir" || die "cannot unpack $deb"
	basename "$deb" >"$(deb_stamp "$pkg" "$dir")"
}

# Download the Debian packages "$@" (NAME or NAME:ARCH) that DIR lacks, in one apt-get call
# (much faster than one call each), and unpack them into DIR, once, even when several test
# hosts ask at the same time.
fetch_debs() {
	local dir=$1
	shift
	mkdir -p "$CACHE/debs" "$dir"
	(
		flock 9
		local p todo=()
		for p in "$@"; do [ -e "$(deb_stamp "$p" "$dir")" ] || todo+=("$p"); done
		[ ${#todo[@]} -eq 0 ] && exit 0
		apt_ready
		cd "$CACHE/debs" && apt-get download -q "${todo[@]}" >/dev/null 2>&1 ||
			die "apt-get download ${todo[*]} failed"
		for p in "${todo[@]}"; do unpack_deb "$p" "$dir"; done
	) 9>"$dir/.lock" || exit 1
}

# Download one Debian package and unpack it into DIR, once.
fetch_deb() { fetch_debs "$2" "$1"; }

# The .ko files of the modules "$@" of the kernel modules tree DIR (lib/modules/RELEASE) and
# of the modules they depend on, dependencies first, each once; built-in ones are left out.
# The image package has no modules.dep (depmod makes it at install time): `modinfo -F
# depends` reads each module's own list.
module_files() {
	local dir=$1
	shift
	need_pkgs kmod
	_module_closure() {
		# Module names and file names may differ in '-' against '_'.
		local f d pat=${1//[-_]/[-_]}
		grep -q "/$pat\.ko\$" "$dir/modules.builtin" 2>/dev/null && return 0
		f=$(find "$dir/kernel" -name "$pat.ko" | head -1)
		[ -n "$f" ] || die "no module $1 in $dir"
		for d in $(modinfo -F depends "$f" | tr , ' '); do _module_closure "$d"; done
		echo "$f"
	}
	local m
	for m in "$@"; do _module_closure "$m"; done | awk '!seen[$0]++'
}
