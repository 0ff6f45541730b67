#!/bin/sh
# cfskit prepare-root: mount a cfskit composefs deployment as the root and switch_root into it.
# With the one argument /sysroot (cfskit-prepare-root.service in a systemd initramfs): the physical
# root is already mounted there; the composefs root replaces it at /sysroot and systemd switches root.
# Shipped by cfskit in the initramfs extension; contract in cfskit's docs/FORMAT.md ("Initramfs extension").
set -f
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
TAG=cfskit-prepare-root
EXT=/etc/cfskit/composefs.conf
PRCONF=/etc/cfskit/prepare-root.conf
PHYS=/sysroot
NEW=/sysroot.tmp
LOWER=/run/cfskit/lower
EMERGENCY=
SYSTEMD=

# One clear line, then the emergency path; never boots anything else.
fail() {
  if [ -n "$SYSTEMD" ]; then
    # The unit's OnFailure= is the emergency path.
    echo "$TAG: $*" >&2
    exit 1
  fi
  echo "$TAG: $*"
  sync
  case "$EMERGENCY" in
    poweroff) poweroff -f ;;
    reboot) reboot -f ;;
    halt) halt -f ;;
  esac
  while :; do sh -i </dev/console >/dev/console 2>&1; done
}

# conf_get FILE GROUP KEY: the last KEY= line of [GROUP], as GKeyFile reads it.
conf_get() {
  _group=
  _value=
  while IFS= read -r _line || [ -n "$_line" ]; do
    case "$_line" in
      '['*']') _group=${_line#[}; _group=${_group%]} ;;
      "$3="*) [ "$_group" = "$2" ] && _value=${_line#*=} ;;
    esac
  done <"$1"
  printf '%s' "$_value"
}

# A path relative to the sysroot, without '..' components.
check_relpath() {
  case "/$2/" in
    //*|*/../*|*/./*) fail "$EXT: $1 '$2' is not a relative path inside the sysroot" ;;
  esac
}

# /run/ostree-booted is a little-endian GVariant a{sv} (docs/FORMAT.md "The booted system"). An entry:
# key, NUL, zeros to 8-alignment, value, NUL, type, one framing byte (where the key ends); after
# the entries one framing byte per entry end. The dict stays under 256 bytes: one-byte offsets.
GV_OUT=
GV_POS=0
GV_ENDS=
gv_byte() {
  # shellcheck disable=SC2059 # the format is the one octal escape of the byte
  printf "\\$(printf %o "$1")" >>"$GV_OUT"
  GV_POS=$((GV_POS + 1))
}
gv_text() {
  printf '%s' "$1" >>"$GV_OUT"
  GV_POS=$((GV_POS + ${#1}))
}
gv_pad8() {
  while [ $((GV_POS % 8)) -ne 0 ]; do gv_byte 0; done
}
gv_u64() {
  _n=$1
  _i=0
  while [ $_i -lt 8 ]; do
    gv_byte $((_n & 255))
    _n=$((_n >> 8))
    _i=$((_i + 1))
  done
}
# gv_entry KEY TYPE VALUE...: two decimal numbers for (tt), 0 or 1 for b.
gv_entry() {
  gv_pad8
  _start=$GV_POS
  gv_text "$1"
  gv_byte 0
  _keyend=$((GV_POS - _start))
  gv_pad8
  case "$2" in
    '(tt)') gv_u64 "$3" && gv_u64 "$4" ;;
    b) gv_byte "$3" ;;
  esac
  gv_byte 0
  gv_text "$2"
  gv_byte "$_keyend"
  GV_ENDS="$GV_ENDS $GV_POS"
}

# write_booted FILE DEV INO VERITY: the keys ostree's prepare-root writes for a composefs root, in its order.
write_booted() {
  GV_OUT=$1.tmp
  GV_POS=0
  GV_ENDS=
  : >"$GV_OUT" || return 1
  gv_entry backing-root-device-inode '(tt)' "$2" "$3"
  gv_entry root.transient b 0
  gv_entry root.transient-ro b 0
  gv_entry composefs b 1
  gv_entry composefs.verity b "$4"
  gv_entry sysroot-ro b 0
  for _end in $GV_ENDS; do gv_byte "$_end"; done
  chmod 0644 "$GV_OUT" && mv -f "$GV_OUT" "$1"
}

is_hex64() {
  [ ${#1} -eq 64 ] || return 1
  case "$1" in *[!0-9a-f]*) return 1 ;; esac
}

# Kernel >= MAJOR.MINOR ?
kernel_at_least() {
  _r=$(uname -r)
  _maj=${_r%%.*}
  _min=${_r#*.}
  _min=${_min%%[!0-9]*}
  [ "$_maj" -gt "$1" ] || { [ "$_maj" -eq "$1" ] && [ "$_min" -ge "$2" ]; }
}

if [ "$$" != 1 ] && [ "$#:$*" != "1:$PHYS" ]; then
  echo "$TAG: must run as PID 1 (exec it from the initramfs /init) or as prepare-root $PHYS (systemd), not as PID $$" >&2
  exit 1
fi
case "$#:$*" in
  0:) ;;
  "1:$PHYS") SYSTEMD=1 ;;
  *) fail "usage: prepare-root (as PID 1) or prepare-root $PHYS (systemd, $PHYS mounted)" ;;
esac
[ -d /proc/self ] || mount -t proc proc /proc 2>/dev/null
[ -d /sys/kernel ] || mount -t sysfs sysfs /sys 2>/dev/null
[ -e /dev/console ] || mount -t devtmpfs devtmpfs /dev 2>/dev/null
[ -r /proc/cmdline ] || fail "/proc/cmdline is not readable"
# A tmpfs /run that moves into the new root, keeping the image's mount visible at /run/cfskit/lower.
grep -q '^[^ ]* /run ' /proc/mounts || mount -t tmpfs -o mode=0755,nodev,nosuid tmpfs /run 2>/dev/null
# Mounts moved below must not propagate (a shared mount cannot be moved).
err=$(mount --make-rprivate / 2>&1) || fail "cannot make / a private mount: $err"

OSTREE=
DIGEST=
ROOT=
ROOTFSTYPE=
ROOTFLAGS=
MODE=
read -r CMDLINE </proc/cmdline
# Word splitting is the karg split; globbing is off (set -f).
for arg in $CMDLINE; do
  case "$arg" in
    ostree=*) OSTREE=${arg#ostree=} ;;
    composefs=*) DIGEST=${arg#composefs=} ;;
    root=*) ROOT=${arg#root=} ;;
    rootfstype=*) ROOTFSTYPE=${arg#rootfstype=} ;;
    rootflags=*) ROOTFLAGS=${arg#rootflags=} ;;
    rd.emergency=*) EMERGENCY=${arg#rd.emergency=} ;;
    ostree.prepare-root.composefs=*) MODE=${arg#ostree.prepare-root.composefs=} ;;
  esac
done

[ -n "$OSTREE" ] || fail "no ostree= kernel argument"
[ -n "$DIGEST" ] || fail "no composefs= kernel argument"
is_hex64 "$DIGEST" || fail "composefs=$DIGEST is not a 64-digit lowercase hex fs-verity digest"
[ -n "$ROOT" ] || [ -n "$SYSTEMD" ] || fail "no root= kernel argument"
[ -r "$EXT" ] || fail "initramfs extension missing: no $EXT (add the entry's overlay initrd)"

# prepare-root.conf [composefs] enabled, overridden by ostree.prepare-root.composefs= (spec 5.4).
[ -n "$MODE" ] || { [ -r "$PRCONF" ] && MODE=$(conf_get "$PRCONF" composefs enabled); }
case "$MODE" in
  ''|yes|true|1) VERITY= ;;
  verity) VERITY=1 ;;
  *) fail "composefs mode '$MODE' is not supported: a cfskit deployment boots only from its composefs image (yes or verity)" ;;
esac

EXT_DIGEST=$(conf_get "$EXT" composefs digest)
EXT_IMAGE=$(conf_get "$EXT" composefs image)
EXT_SHA256=$(conf_get "$EXT" composefs sha256)
EXT_OBJECTS=$(conf_get "$EXT" composefs objects)
EXT_DEPLOYMENT=$(conf_get "$EXT" composefs deployment)
is_hex64 "$EXT_DIGEST" || fail "$EXT: digest '$EXT_DIGEST' is not 64 lowercase hex digits"
is_hex64 "$EXT_SHA256" || fail "$EXT: sha256 '$EXT_SHA256' is not 64 lowercase hex digits"
check_relpath image "$EXT_IMAGE"
check_relpath objects "$EXT_OBJECTS"
check_relpath deployment "$EXT_DEPLOYMENT"
[ "$DIGEST" = "$EXT_DIGEST" ] || fail "composefs=$DIGEST does not match the initramfs extension's digest $EXT_DIGEST"

if [ -n "$SYSTEMD" ]; then
  # systemd mounted root= at /sysroot (read-only unless rw): read-write, as the busybox path mounts it.
  grep -q "^[^ ]* $PHYS " /proc/mounts || fail "$PHYS is not a mount point (sysroot.mount did not mount root=)"
  err=$(mount -o remount,rw "$PHYS" 2>&1) || fail "cannot remount $PHYS read-write: $err"
  mkdir -p "$NEW" "$LOWER"
else
  # The physical root (ext4 etc.): wait up to 10 s for the device.
  case "$ROOT" in
    LABEL=*|UUID=*|PARTUUID=*|PARTLABEL=*) ;;
    /dev/*) ;;
    *) fail "root=$ROOT is not a /dev path, LABEL=, UUID=, PARTUUID= or PARTLABEL=" ;;
  esac
  DEV=
  i=0
  while [ $i -lt 100 ]; do
    case "$ROOT" in
      /dev/*) [ -b "$ROOT" ] && DEV=$ROOT ;;
      *) DEV=$(findfs "$ROOT" 2>/dev/null) ;;
    esac
    [ -n "$DEV" ] && break
    sleep 0.1
    i=$((i + 1))
  done
  [ -n "$DEV" ] || fail "root device $ROOT did not appear within 10 s"
  mkdir -p "$PHYS" "$NEW" "$LOWER"
  err=$(mount ${ROOTFSTYPE:+-t "$ROOTFSTYPE"} -o "rw${ROOTFLAGS:+,$ROOTFLAGS}" "$DEV" "$PHYS" 2>&1) ||
    fail "cannot mount root device $DEV at $PHYS: $err"
fi

# ostree= bootlink -> deployment (spec 3.6): must be a symlink, and lead to the extension's deployment.
case "$OSTREE" in
  /ostree/boot.[01]/*/*/[0-9]*) ;;
  *) fail "ostree=$OSTREE is not a bootlink /ostree/boot.B/STATEROOT/BOOTCSUM/SERIAL" ;;
esac
STATEROOT=${OSTREE#/ostree/boot.?/}
STATEROOT=${STATEROOT%%/*}
[ -L "$PHYS$OSTREE" ] || fail "ostree=$OSTREE: bootlink is missing or not a symbolic link"
DEPLOY=$(readlink -f "$PHYS$OSTREE") || DEPLOY=
[ -d "$DEPLOY" ] ||
  fail "ostree=$OSTREE: bootlink does not lead to a deployment directory"
[ "$DEPLOY" = "$PHYS/$EXT_DEPLOYMENT" ] ||
  fail "ostree=$OSTREE leads to ${DEPLOY#"$PHYS"/} but the initramfs extension is for $EXT_DEPLOYMENT"
[ "$EXT_DEPLOYMENT" = "ostree/deploy/$STATEROOT/deploy/${DEPLOY##*/}" ] ||
  fail "the initramfs extension's deployment $EXT_DEPLOYMENT is not in stateroot $STATEROOT"

# The image the extension names, with the sha256 it records.
IMAGE=$PHYS/$EXT_IMAGE
[ -f "$IMAGE" ] || fail "composefs image $EXT_IMAGE is missing"
SUM=$(sha256sum "$IMAGE" 2>&1) || fail "cannot read composefs image $EXT_IMAGE: $SUM"
SUM=${SUM%% *}
[ "$SUM" = "$EXT_SHA256" ] ||
  fail "composefs image $EXT_IMAGE has sha256 $SUM but the initramfs extension expects $EXT_SHA256 (corrupt or replaced image)"
[ -d "$PHYS/$EXT_OBJECTS" ] || fail "objects directory $EXT_OBJECTS is missing"
[ -d "$DEPLOY/etc" ] || fail "deployment ${DEPLOY#"$PHYS"/} has no etc/ directory"
[ -d "$PHYS/ostree/deploy/$STATEROOT/var" ] || fail "stateroot $STATEROOT has no var/ directory"

# EROFS (loop) + overlayfs over the objects directory.
err=$(mount -t erofs -o ro,loop "$IMAGE" "$LOWER" 2>&1) || fail "cannot mount composefs image $EXT_IMAGE (EROFS, loop): $err"
if kernel_at_least 6 5; then
  LOWERDIRS="$LOWER::$PHYS/$EXT_OBJECTS"
else
  LOWERDIRS="$LOWER:$PHYS/$EXT_OBJECTS"
fi
OPTS="ro,lowerdir=$LOWERDIRS,metacopy=on,redirect_dir=on"
if [ -n "$VERITY" ]; then
  kernel_at_least 6 6 || fail "composefs mode verity needs overlayfs verity=require (kernel >= 6.6), this is $(uname -r)"
  OPTS="$OPTS,verity=require"
fi
err=$(mount -t overlay overlay -o "$OPTS" "$NEW" 2>&1) || fail "cannot mount overlayfs ($OPTS): $err"

for dir in etc var sysroot; do
  [ -d "$NEW/$dir" ] || fail "composefs image $EXT_IMAGE has no /$dir directory to mount onto"
done
err=$(mount --bind "$DEPLOY/etc" "$NEW/etc" 2>&1) || fail "cannot bind the deployment's etc/ over /etc: $err"
err=$(mount --bind "$PHYS/ostree/deploy/$STATEROOT/var" "$NEW/var" 2>&1) || fail "cannot bind the stateroot's var/ over /var: $err"
# /boot: the sysroot's boot/ when it is not a partition of its own (boot/loader is a symlink there).
if [ -L "$PHYS/boot/loader" ] && [ -d "$NEW/boot" ]; then
  err=$(mount --bind "$PHYS/boot" "$NEW/boot" 2>&1) || fail "cannot bind the sysroot's boot/ over /boot: $err"
fi
# The root over the deployment directory (with etc/, var/, boot/): / and the deployment then have one
# (dev, ino), which is how ostree 2022.7 finds the booted deployment.
err=$(mount -o rbind "$NEW" "$DEPLOY" 2>&1) || fail "cannot bind the root over the deployment directory: $err"
DEVINO=$(stat -c '%d %i' "$NEW" 2>&1) || fail "cannot stat the new root: $DEVINO"
mkdir -p /run/ostree || fail "cannot create /run/ostree"
# shellcheck disable=SC2086 # DEVINO is two numbers
write_booted /run/ostree-booted $DEVINO "${VERITY:-0}" || fail "cannot write /run/ostree-booted"
if [ ! -L "$NEW/sbin/init" ] && [ ! -x "$NEW/sbin/init" ]; then
  fail "composefs image $EXT_IMAGE has no executable /sbin/init"
fi
err=$(mount --move "$PHYS" "$NEW/sysroot" 2>&1) || fail "cannot move the physical root to /sysroot: $err"
if [ -n "$SYSTEMD" ]; then
  # initrd-switch-root.service switches to /sysroot and moves /dev /proc /sys /run itself.
  err=$(mount --move "$NEW" "$PHYS" 2>&1) || fail "cannot move the new root to $PHYS: $err"
  exit 0
fi
for dir in dev proc sys run; do
  [ -d "$NEW/$dir" ] && mount --move "/$dir" "$NEW/$dir" 2>/dev/null
done
command -v switch_root >/dev/null || fail "switch_root is missing from the initramfs"
# A failed exec ends this shell (PID 1): nothing after it could run.
exec switch_root "$NEW" /sbin/init
