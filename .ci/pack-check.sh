#!/usr/bin/env bash
# Every published package stands alone: packs each one (pnpm pack: workspace ranges become real ones), and for each,
# in an empty ESM project outside the workspace, installs with npm only the tarballs it needs (third-party
# dependencies come from the registry), then checks the tarball (LICENSE, CHANGELOG, one copy of rxjs in the app),
# type-checks the package's README example against the packed .d.ts files with the app's own TypeScript and runs it:
#   core            two devices, one session (MemoryNetwork)
#   transport-tcp   two processes find each other over DNS-SD on loopback and chat
#   transport-ble   two devices pair on the virtual radio
#   net-monitor     prints the networks
#   api-compat      a HarmonyOS app through `npx colink-device` and a @kit.* script through the register hook
#   transport-wifi-p2p  imports (its README has no runnable example without a wpa_supplicant)
# Usage: bash .ci/pack-check.sh [package short name…]   (after `pnpm build`)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
TS=5.9.3 TSX=4.23.15 TYPES_NODE=20.19.43 RXJS=7.8.2

fail() { echo "pack-check: $*" >&2; exit 1; }

echo "packing"
for p in core transport-tcp transport-ble transport-wifi-p2p net-monitor api-compat; do
  (cd "$root/packages/$p" && pnpm pack --pack-destination "$tmp" >/dev/null)
done
tarball() { ls "$tmp"/colink-"$1"-*.tgz; }

# The README quotes the example file; run what the README shows.
extract() { # <readme> <file from repo root> <destination>
  node --input-type=module -e "
    import { extractExample } from '$root/scripts/readme-examples.mjs';
    process.stdout.write(extractExample(process.argv[1], process.argv[2]));" "$1" "$2" > "$3"
}

# An empty app with the given tarballs, rxjs, TypeScript and tsx.
app() { # <dir> <short names…>
  local dir="$1"; shift
  mkdir -p "$dir"
  printf '{ "name": "pack-check-app", "private": true, "type": "module" }\n' > "$dir/package.json"
  cat > "$dir/tsconfig.json" <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
  "noEmit": true, "skipLibCheck": true, "types": ["node"] } }
JSON
  local tgz=()
  for p in "$@"; do tgz+=("$(tarball "$p")"); done
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "${tgz[@]}" "rxjs@$RXJS" \
    "typescript@$TS" "tsx@$TSX" "@types/node@$TYPES_NODE" >/dev/null)
  # One copy of rxjs in the app: every package takes the app's (peer dependency).
  local copies
  copies="$(cd "$dir" && find node_modules -path '*/rxjs/package.json' -not -path '*/rxjs/*/rxjs/*' | grep -c 'node_modules/rxjs/package.json$')"
  [ "$copies" = 1 ] || fail "$dir: $copies copies of rxjs"
  for p in "$@"; do
    local d="$dir/node_modules/@colink/$p"
    cmp -s "$d/LICENSE" "$root/LICENSE" || fail "@colink/$p: LICENSE missing from the tarball"
    [ -f "$d/CHANGELOG.md" ] || fail "@colink/$p: CHANGELOG.md missing from the tarball"
  done
}

typecheck() { # <dir>
  (cd "$1" && npx tsc -p tsconfig.json 2>&1) || fail "$1: the README example does not type-check"
}
# The files to type-check go into the app's tsconfig.
files() { # <dir> <files…>
  local dir="$1"; shift
  node -e "const f='$dir/tsconfig.json',j=JSON.parse(require('fs').readFileSync(f));j.files=process.argv.slice(1);require('fs').writeFileSync(f,JSON.stringify(j))" "$@"
}

selected=("$@")
run_for() { [ ${#selected[@]} -eq 0 ] || [[ " ${selected[*]} " == *" $1 "* ]]; }

if run_for core; then
  echo "@colink/core: README example (two devices, one session)"
  d="$tmp/core"; app "$d" core
  extract "$root/packages/core/README.md" packages/core/examples/two-devices.ts "$d/two-devices.ts"
  files "$d" two-devices.ts; typecheck "$d"
  out="$(cd "$d" && node --import tsx two-devices.ts)"
  [ "$out" = $'echo: hello\ngot 10485760 bytes\nended: local' ] || fail "core example printed: $out"
  (cd "$d" && node --input-type=module -e "
    import { existsSync } from 'node:fs';
    for (const f of ['wire', 'testing/index', 'compliance', 'security/index'])
      if (!existsSync('node_modules/@colink/core/dist/' + f + '.js')) throw new Error(f + ' missing');
    const wire = await import('@colink/core/wire');
    if (wire.FRAME_HEADER_BYTES !== 12) throw new Error('@colink/core/wire');")
fi

if run_for transport-tcp; then
  echo "@colink/transport-tcp: README example (two processes over DNS-SD on loopback)"
  d="$tmp/tcp"; app "$d" core transport-tcp
  extract "$root/packages/transport-tcp/README.md" packages/transport-tcp/examples/chat.ts "$d/chat.ts"
  files "$d" chat.ts; typecheck "$d"
  port=$((20000 + RANDOM % 30000))
  (cd "$d" && MDNS_PORT=$port timeout 60 node --import tsx chat.ts desk laptop > desk.out) &
  desk=$!
  (cd "$d" && MDNS_PORT=$port timeout 60 node --import tsx chat.ts laptop desk > laptop.out) &
  laptop=$!
  wait $desk || fail "desk exited $?: $(cat "$d/desk.out")"
  wait $laptop || fail "laptop exited $?: $(cat "$d/laptop.out")"
  grep -qx 'laptop answers: hi desk, this is laptop' "$d/desk.out" || fail "desk: $(cat "$d/desk.out")"
  grep -qx 'desk says: hello from desk' "$d/laptop.out" || fail "laptop: $(cat "$d/laptop.out")"
fi

if run_for transport-ble; then
  echo "@colink/transport-ble: README example (pair on the virtual radio)"
  d="$tmp/ble"; app "$d" core transport-ble
  extract "$root/packages/transport-ble/README.md" packages/transport-ble/examples/pair.ts "$d/pair.ts"
  files "$d" pair.ts; typecheck "$d"
  out="$(cd "$d" && timeout 60 node --import tsx pair.ts)"
  [ "$out" = $'phone found: watch\nwatch got "ping" from phone over ble' ] || fail "ble example printed: $out"
fi

if run_for net-monitor; then
  echo "@colink/net-monitor: README example (print networks)"
  d="$tmp/net"; app "$d" core net-monitor
  extract "$root/packages/net-monitor/README.md" packages/net-monitor/examples/networks.ts "$d/networks.ts"
  files "$d" networks.ts; typecheck "$d"
  out="$(cd "$d" && timeout 60 node --import tsx networks.ts)"
  echo "$out" | sed 's/^/  /'
  grep -q '^source: ' <<<"$out" && grep -q '^default: ' <<<"$out" || fail "net-monitor example printed: $out"
fi

if run_for transport-wifi-p2p; then
  echo "@colink/transport-wifi-p2p: imports"
  d="$tmp/p2p"; app "$d" core transport-tcp transport-wifi-p2p
  (cd "$d" && node --input-type=module -e "
    const m = await import('@colink/transport-wifi-p2p');
    const t = await import('@colink/transport-wifi-p2p/testing');
    if (typeof m.WifiP2pTransport !== 'function' || typeof t.FakeWpaSupplicant !== 'function') throw new Error('exports');")
fi

if run_for api-compat; then
  echo "@colink/api-compat: README example (colink-device + a @kit.* script through the register hook)"
  d="$tmp/acm"
  app "$d" core transport-tcp transport-ble transport-wifi-p2p net-monitor api-compat
  cp -r "$root/packages/api-compat/examples/echo-app" "$d/echo-app"
  extract "$root/packages/api-compat/README.md" \
    packages/api-compat/examples/echo-app/entry/src/main/ets/entryability/EntryAbility.ts \
    "$d/echo-app/entry/src/main/ets/entryability/EntryAbility.ts"
  extract "$root/packages/api-compat/README.md" packages/api-compat/examples/phone.ts "$d/phone.ts"
  files "$d" phone.ts echo-app/entry/src/main/ets/entryability/EntryAbility.ts \
    node_modules/@colink/api-compat/ambient.d.ts
  typecheck "$d"
  export COLINK_ACCOUNT=pack-check COLINK_TRANSPORTS=tcp COLINK_MDNS_INTERFACE=127.0.0.1
  export COLINK_MDNS_PORT=$((20000 + RANDOM % 30000))
  (cd "$d" && COLINK_DEVICE_NAME=tablet COLINK_STATE_DIR="$(mktemp -d -p "$tmp")" \
    timeout 60 npx colink-device ./echo-app > tablet.out 2>&1) &
  tablet=$!
  out="$(cd "$d" && COLINK_DEVICE_NAME=phone COLINK_STATE_DIR="$(mktemp -d -p "$tmp")" COLINK_APP_DIR=./echo-app \
    timeout 60 node --import @colink/api-compat/register phone.ts)" || fail "phone: $out"
  kill "$tablet" 2>/dev/null || true
  wait "$tablet" 2>/dev/null || true
  [ "$out" = $'found tablet\nconnected: true\necho: hello tablet' ] || fail "api-compat example printed: $out"
fi

echo "pack check: every published package installs from its tarball and runs its README example"
