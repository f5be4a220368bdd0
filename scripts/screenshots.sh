#!/bin/sh
# scripts/screenshots.sh — regenerates screenshots/*.png: the dashboard on
# the demo stack (main screen and detail view) and `vigil top`, captured
# from tmux with their colours (capture-pane -e), turned into HTML by
# scripts/ansi2html.py and photographed by headless Chromium. Installs what
# it needs from Debian (chromium, fonts-dejavu-core, tmux) when missing.
# The demo stack runs on 127.0.0.1 for the time of the captures and is
# stopped at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out="$root/screenshots"
cols=150
rows=42

need=""
command -v chromium >/dev/null || need="$need chromium"
command -v tmux >/dev/null || need="$need tmux"
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need="$need fonts-dejavu-core"
if [ -n "$need" ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "screenshots.sh: installing$need"
	$sudo apt-get install -y --no-install-recommends $need >/dev/null
fi
"$root/scripts/deps.sh" >/dev/null
cmake -S "$root" -B "$root/build" -DVIGIL_TESTS=OFF >/dev/null
cmake --build "$root/build" -j2 >/dev/null
vigil="$root/build/vigil"

tmp=$(mktemp -d /tmp/vigil-shots-XXXXXX)
export TMUX_TMPDIR="$tmp"
sess=shots
cleanup() {
	tmux kill-session -t "$sess" 2>/dev/null || true
	"$vigil" down -f "$root/config/demo.yaml" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir -p "$out"

# shot NAME — the pane as screenshots/NAME.png
shot() {
	tmux capture-pane -e -p -t "$sess" >"$tmp/$1.ansi"
	python3 "$here/ansi2html.py" "$cols" "$rows" <"$tmp/$1.ansi" >"$tmp/$1.html"
	w=$((cols * 85 / 10 + 16))
	h=$((rows * 18 + 16))
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$w,$h" \
		--screenshot="$out/$1.png" "file://$tmp/$1.html" >/dev/null 2>&1
	echo "screenshots/$1.png"
}
# waits until the pane shows REGEX (at most SECONDS)
await() {
	i=0
	while ! tmux capture-pane -p -t "$sess" | grep -Eq -- "$1"; do
		i=$((i + 1))
		[ "$i" -lt $(($2 * 10)) ] || { echo "screenshots.sh: gave up waiting for $1" >&2; exit 1; }
		sleep 0.1
	done
}

tmux -f /dev/null new-session -d -s "$sess" -x "$cols" -y "$rows" \
	"cd '$root' && TERM=xterm-256color LANG=C.UTF-8 '$vigil' up -f config/demo.yaml"
await '^api +running' 60
sleep 12 # some history for the sparklines
tmux send-keys -t "$sess" j j
sleep 1.5
shot dashboard
tmux send-keys -t "$sess" / a p i Enter Enter
sleep 4
shot detail
tmux send-keys -t "$sess" Escape Escape q y
sleep 3
tmux kill-session -t "$sess" 2>/dev/null || true

tmux -f /dev/null new-session -d -s "$sess" -x "$cols" -y "$rows" \
	"TERM=xterm-256color LANG=C.UTF-8 '$vigil' top --refresh 1"
await 'processes' 20
sleep 4
shot top
tmux send-keys -t "$sess" q
