#!/usr/bin/env bash
# Private PulseAudio server with null sinks, for live-capture tests and CI on
# machines without a sound card (recipe: ../shared/docs/audio-stack.md).
#
#   scripts/virtual-audio.sh start [DIR]   start (or reuse) a server in DIR; prints env to export
#   scripts/virtual-audio.sh env   [DIR]   print the env lines for a running server
#   scripts/virtual-audio.sh status [DIR]  exit 0 if the server in DIR answers
#   scripts/virtual-audio.sh stop  [DIR]   stop the server in DIR and remove DIR
#
# DIR defaults to $HOTWASH_VIRTUAL_AUDIO_DIR, else /tmp/hotwash-virtual-audio-$UID.
# Every command is idempotent. `eval "$(scripts/virtual-audio.sh start)"` points
# PulseAudio clients (paplay, pactl, ALSA's `default`/`pulse` devices, cpal) at it.
#
# What the server holds:
#   sink `virt`  (48 kHz stereo): play the "meeting" into it; its monitor
#                `virt.monitor` is the default source, i.e. what the default
#                microphone hears.
#   sink `virt2` (48 kHz stereo): a second, independent source (`virt2.monitor`)
#                for multi-track tests.
# HOME is overridden only for the server process itself (it writes ~/.config/pulse);
# the printed env never changes HOME, so cargo and friends keep working.
set -euo pipefail

cmd=${1:-start}
dir=${2:-${HOTWASH_VIRTUAL_AUDIO_DIR:-/tmp/hotwash-virtual-audio-$(id -u)}}

die() { echo "virtual-audio: $*" >&2; exit 1; }

server_env() {
    echo "export XDG_RUNTIME_DIR=$dir/run"
    echo "export PULSE_SERVER=unix:$dir/run/native"
}

answers() {
    [ -S "$dir/run/native" ] || return 1
    XDG_RUNTIME_DIR="$dir/run" PULSE_SERVER="unix:$dir/run/native" \
        timeout 5 pactl info >/dev/null 2>&1
}

stop_server() {
    if [ -f "$dir/pid" ]; then
        pid=$(cat "$dir/pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$dir/pid"
    fi
}

start_server() {
    command -v pulseaudio >/dev/null || die "pulseaudio is not installed (apt-get install pulseaudio pulseaudio-utils libasound2-plugins)"
    command -v pactl >/dev/null || die "pactl is not installed (apt-get install pulseaudio-utils)"
    if answers; then
        server_env
        return 0
    fi
    # A stale server (dead socket, hung process) is replaced.
    stop_server
    mkdir -p "$dir/run" "$dir/home"
    chmod 700 "$dir/run"
    rm -f "$dir/run/native"
    HOME="$dir/home" XDG_RUNTIME_DIR="$dir/run" setsid pulseaudio -n --daemonize=no \
        --exit-idle-time=-1 --use-pid-file=no --disallow-exit=yes \
        -L "module-native-protocol-unix auth-anonymous=1 socket=$dir/run/native" \
        -L "module-null-sink sink_name=virt rate=48000 channels=2" \
        -L "module-null-sink sink_name=virt2 rate=48000 channels=2" \
        </dev/null >"$dir/pulse.log" 2>&1 &
    echo $! >"$dir/pid"
    for _ in $(seq 100); do
        if answers; then break; fi
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || die "pulseaudio exited; see $dir/pulse.log"
        sleep 0.1
    done
    answers || die "pulseaudio did not answer within 10 s; see $dir/pulse.log"
    XDG_RUNTIME_DIR="$dir/run" PULSE_SERVER="unix:$dir/run/native" pactl set-default-source virt.monitor
    XDG_RUNTIME_DIR="$dir/run" PULSE_SERVER="unix:$dir/run/native" pactl set-default-sink virt
    server_env
}

case "$cmd" in
    start) start_server ;;
    env) answers || die "no server answers in $dir (run: $0 start $dir)"; server_env ;;
    status) answers ;;
    stop) stop_server; rm -rf "$dir" ;;
    *) die "unknown command '$cmd' (start|env|status|stop)" ;;
esac
