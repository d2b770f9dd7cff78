# bbtest.sh HTTP ECHO: Debian's busybox-static applets on Scone, one
# section each ("== name", then its output), run by TestBusybox with
# busybox sh. HTTP and ECHO are ports of the test's servers on the host
# (10.0.2.2 from the guest): GET /hello.txt, and a TCP line echo.
port=$1 echo=$2
busybox mkdir -p /bb && busybox --install -s /bb || echo "install failed"
export PATH=/bb:/bin
cd /tmp && mkdir -p bb && cd bb
echo "== uname"; uname -a
echo "== ls"; mkdir -p d/e; echo abc > d/f; ln -s f d/l; ls -l d
echo "== cat"; cat d/f d/l
echo "== wc"; printf 'one two\nthree\n' | wc
echo "== grep"; printf 'a\nbb\nc\n' | grep -n b
echo "== find"; find d | sort
echo "== sed"; echo hello world | sed 's/world/there/'
echo "== awk"; printf '1 2\n3 4\n' | awk '{ s += $2 } END { print "sum", s }'
echo "== sort"; printf 'c\na\nb\n' | sort -r | tr '\n' ' '; echo
echo "== seq"; seq 2 2 10 | tr '\n' ,; echo
echo "== md5sum"; printf abc | md5sum
echo "== dd"; dd if=/dev/zero of=z bs=1024 count=64 2>&1; wc -c < z
echo "== tar"; tar cf t.tar d && mkdir x && tar xf t.tar -C x && tar tf t.tar | sort && cmp d/f x/d/f && echo same
echo "== chown"; chown 12:34 d/f && stat -c '%u %g' d/f
echo "== fifo"; mkfifo pp; ls -l pp | cut -c1-10; echo through a fifo > pp & cat pp; wait
echo "== ps"; ps
echo "== top"; top -b -n 1 | head -2
echo "== free"; free
echo "== df"; df /
echo "== mount"; mount
echo "== date"; date +%Y; date -u -d @86400 +%F
echo "== sleep"; sleep 1; echo slept
echo "== kill"; sleep 30 & pid=$!; sleep 1; kill $pid; wait $pid; echo "status $?"
echo "== script"; printf 'for i in 1 2 3; do echo n$i; done\n' > s.sh; sh s.sh | tr '\n' ' '; echo
echo "== arith"; echo $((6 * 7)) "$(echo sub shell)"
echo "== proc"; readlink /proc/self/exe; ls /proc/self/fd | sort | tr '\n' ' '; echo
echo "== wget"; wget -q -O - http://10.0.2.2:$port/hello.txt
echo "== nc"; echo ping | nc 10.0.2.2 $echo
echo "== httpd"; mkdir -p www; echo "busybox httpd on scone" > www/index.html
httpd -f -p 8080 -h www & echo "httpd started"
echo "== end"
