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

# Download one Debian package (NAME or NAME:ARCH) and unpack it into DIR, once, even when
# several test hosts ask for it at the same time.
fetch_deb() {
	local pkg=$1 dir=$2 stamp
	stamp=$dir/.got-$(echo "$pkg" | tr ':/' '__')
	[ -e "$stamp" ] && return 0
	mkdir -p "$CACHE/debs" "$dir"
	(
		flock 9
		[ -e "$stamp" ] && exit 0
		apt_ready
		cd "$CACHE/debs" && apt-get download -q "$pkg" >/dev/null 2>&1 ||
			die "apt-get download $pkg failed"
		local name=${pkg%%:*} arch=${pkg#*:} deb
		[ "$arch" = "$pkg" ] && arch=
		deb=$(ls -t "$CACHE/debs/${name}_"*"${arch:+_$arch}.deb" 2>/dev/null | head -1)
		[ -n "$deb" ] || deb=$(ls -t "$CACHE/debs/${name}_"*.deb | head -1)
		dpkg -x "$deb" "$dir" || die "cannot unpack $deb"
		touch "$stamp"
	) 9>"$dir/.lock"
}
