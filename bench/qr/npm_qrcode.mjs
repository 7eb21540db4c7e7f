// PNGs per second from the npm qrcode package (the peer), for the same url, size and margin as
// qrscene's BM_RenderPng. Prints "npm-qrcode <per second>".
import QRCode from 'qrcode';

const url = 'http://weixin.qq.com/q/02abcDEFghiJKL0000Ab12';
const seconds = Number(process.argv[2] || 3);
const options = { type: 'png', width: 430, margin: 4, errorCorrectionLevel: 'M' };
for (let i = 0; i < 50; i++) await QRCode.toBuffer(url, options);  // warm up the JIT
let n = 0;
const start = process.hrtime.bigint();
const end = start + BigInt(Math.round(seconds * 1e9));
while (process.hrtime.bigint() < end) {
  await QRCode.toBuffer(url, options);
  n += 1;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`npm-qrcode ${(n / elapsed).toFixed(0)}`);
