#!/usr/bin/env bash
# Handover how-to: the echo-app tablet and the handover phone as two device processes in two network namespaces, on
# LAN TCP over a veth and on one virtual BLE radio; one medium is cut from outside while they talk. Root; run from
# packages/api-compat (COLINK_DEVICE, RADIO, NS_TABLET, NS_PHONE and COLINK_MDNS_PORT may be set from outside).
set -euo pipefail
COLINK_DEVICE=${COLINK_DEVICE:-npx colink-device}
RADIO=${RADIO:-/tmp/colink-radio.sock}
NS_TABLET=${NS_TABLET:-cl-tablet} NS_PHONE=${NS_PHONE:-cl-phone}
TABLET_BLE=02:00:00:00:00:01 PHONE_BLE=02:00:00:00:00:02
LOG=$(mktemp)
STATE_TABLET=$(mktemp -d) STATE_PHONE=$(mktemp -d)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  sleep 1
  kill -9 $(jobs -p) 2>/dev/null || true
  ip netns del "$NS_TABLET" 2>/dev/null || true
  ip netns del "$NS_PHONE" 2>/dev/null || true
  rm -rf "$LOG" "$STATE_TABLET" "$STATE_PHONE"
}
trap cleanup EXIT INT TERM

# 1. A virtual BLE radio, shared by both device processes through a unix socket.
$COLINK_DEVICE radio "$RADIO" &
until [ -S "$RADIO" ]; do sleep 0.1; done

# 2. Two namespaces and a veth between them: the LAN.
ip netns add "$NS_TABLET"
ip netns add "$NS_PHONE"
ip link add cl-lan-t netns "$NS_TABLET" type veth peer name cl-lan-p netns "$NS_PHONE"
ip -n "$NS_TABLET" addr add 10.99.0.1/24 dev cl-lan-t
ip -n "$NS_PHONE" addr add 10.99.0.2/24 dev cl-lan-p
for ns in "$NS_TABLET" "$NS_PHONE"; do ip -n "$ns" link set lo up; done
ip -n "$NS_TABLET" link set cl-lan-t up
ip -n "$NS_PHONE" link set cl-lan-p up

# 3. The devices: TCP with DNS-SD on the veth, BLE on the radio; COLINK_NET_LINK_LOSS=on drops a Link the moment its
#    address or interface goes (net-monitor), instead of after the 30 s keep-alive timeout.
export COLINK_ACCOUNT=demo-account COLINK_TRANSPORTS=tcp,ble COLINK_BLE_RADIO="$RADIO" COLINK_NET_LINK_LOSS=on
export COLINK_MDNS_PORT=${COLINK_MDNS_PORT:-5353}
COLINK_DEVICE_NAME=tablet COLINK_STATE_DIR=$STATE_TABLET COLINK_BLE_ADDRESS=$TABLET_BLE COLINK_MDNS_INTERFACE=10.99.0.1 \
  ip netns exec "$NS_TABLET" $COLINK_DEVICE ./examples/echo-app >/dev/null 2>&1 &
COLINK_DEVICE_NAME=phone COLINK_STATE_DIR=$STATE_PHONE COLINK_BLE_ADDRESS=$PHONE_BLE COLINK_MDNS_INTERFACE=10.99.0.2 \
  COLINK_APP_DIR=./examples/echo-app \
  ip netns exec "$NS_PHONE" node --import @colink/api-compat/register examples/handover/phone.ts | tee "$LOG" &
PHONE=$!
until grep -q '^connected' "$LOG"; do sleep 0.2; done

# 4. While they talk: the LAN goes (the session moves to BLE) and comes back (within COLINK_UPGRADE_DIAL_MS, 2 s by
#    default, a device dials TCP again and the session moves back, make-before-break); then the phone leaves BLE range
#    (its standby BLE Link is dropped, the session stays on TCP) and returns.
sleep 3
ip -n "$NS_PHONE" link set cl-lan-p down
sleep 4
ip -n "$NS_PHONE" link set cl-lan-p up
sleep 4
$COLINK_DEVICE radio-range "$RADIO" "$PHONE_BLE" out
sleep 2
$COLINK_DEVICE radio-range "$RADIO" "$PHONE_BLE" in
wait "$PHONE"
