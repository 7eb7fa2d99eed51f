import net from 'node:net';
const { token, id } = JSON.parse(await Bun.file('/tmp/review/exp/ids.json').text());
const req = `GET /api/websites/${id}/export HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`;
const ss: net.Socket[] = [];
for (let i = 0; i < 2; i++) {
  const s = net.connect({ port: 25120, host: '127.0.0.1' }); s.on('error', () => {});
  s.setRecvBufferSize?.(4096);
  s.write(req); s.pause(); ss.push(s);
}
// Read a little every 3 s: keeps the connection alive without draining the export.
const trickle = setInterval(() => { for (const s of ss) { s.read(16384); } }, 3000);
const probe = async () => { const r = await fetch(`http://127.0.0.1:25120/api/websites/${id}/export?endAt=0`, { headers: { authorization: 'Bearer ' + token } }); const st = r.status; await r.text(); return st; };
for (let t = 0; t <= 60; t += 15) { console.log(`t=${t}s probe (admin's 3rd export)`, await probe()); await Bun.sleep(15000); }
clearInterval(trickle); for (const s of ss) s.destroy(); process.exit(0);
