# Cached Debian chroots, sourced by scripts/test-debian and scripts/test-wheel.
#   lock_chroot ROOT
#   debootstrap_once ROOT RELEASE MARKER INCLUDE LOG
#   chroot_run ROOT "HOSTDIR:CHROOTDIR ..." CMD...
# Uses $prog (message prefix) and $mirror (Debian mirror) of the caller.

# Waits until no other run of these scripts uses ROOT (two runs at once would
# remove each other's half-made chroot), then holds ROOT until the caller exits.
lock_chroot() {
  exec {_htj2k_lock}>"$1.lock"
  if ! flock -n "$_htj2k_lock"; then
    echo "$prog: waiting for another run that uses $1"
    flock "$_htj2k_lock"
  fi
}

# debootstrap --variant=minbase RELEASE into ROOT unless ROOT/MARKER exists (the
# caller writes MARKER once ROOT is fully set up). Built in ROOT.tmp and moved
# into place, so an interrupted run never leaves a half-made ROOT; a finished
# ROOT.tmp is reused.
debootstrap_once() {
  local root="$1" release="$2" marker="$3" include="$4" log="$5"
  [ -e "$root/$marker" ] && return 0
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "$prog: installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  if [ ! -x "$root.tmp/usr/bin/apt-get" ] || [ ! -e "$root.tmp/.debootstrap-done" ]; then
    # An interrupted debootstrap can leave its /proc and /sys mounted in ROOT.tmp
    # (under the lock, nothing else is using it).
    local m
    for m in proc sys dev/pts; do umount -l "$root.tmp/$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$root.tmp"
    echo "$prog: debootstrap $release (minbase) into $root"
    debootstrap --variant=minbase --include="$include" "$release" "$root.tmp" "$mirror" > "$log" 2>&1 \
      || { tail -20 "$log" >&2; return 1; }
    touch "$root.tmp/.debootstrap-done"
  fi
  rm -rf --one-file-system "$root"
  mv "$root.tmp" "$root"
}

# Runs CMD inside ROOT in a private mount namespace (the bind mounts disappear
# with the namespace, whatever happens), with /proc, /sys, /dev, a 4 GiB
# /dev/shm, and each HOSTDIR that exists bound read-only at CHROOTDIR.
chroot_run() {
  unshare --mount --propagation private -- bash -c '
    set -e
    r="$1"; binds="$2"; shift 2
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --rbind /dev "$r/dev"
    mkdir -p "$r/dev/shm" && mount -t tmpfs -o size=4g tmpfs "$r/dev/shm"
    for b in $binds; do
      src="${b%%:*}"; dst="$r${b#*:}"
      mkdir -p "$dst"
      if [ -d "$src" ]; then mount --bind -o ro "$src" "$dst"; fi
    done
    cp -L /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
  ' chroot_run "$@"
}
