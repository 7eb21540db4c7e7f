-- wrk script: every request is a distinct, correctly signed WeChat SCAN push (plaintext or safe
-- mode), the same load for qrscene, the peers and nginx. Loopback only (bench/load/run checks).
--
-- Environment:
--   WX_TOKEN     callback token                                   (default qrscene_token)
--   WX_TO_USER   ToUserName, the account's original id            (default gh_3d0a1d2f3b4c)
--   WX_SCENES    scenes 1..N are used in turn                       (default 1000)
--   WX_MODE      plain | safe (AES-256-CBC through libcrypto, msg_signature per request)
--   WX_APPID     safe mode: the AppID sealed inside the ciphertext
--   WX_AES_KEY   safe mode: the 43-character EncodingAESKey
--   WX_CHECK     "reply": read every reply; it must be 200 and a text reply to the request's sender
--                  saying "welcome, scene N" for the request's own scene N (decrypted in safe
--                  mode); with WX_CHANNEL_PREFIX it must also name that scene's channel
--                "success": every reply must be 200 "success" (the constant-reply nginx)
--                unset: replies are not read (the timed runs)
--   WX_CHANNEL_PREFIX   e.g. "bench-": scene N's reply must read "welcome, scene N (bench-N)"
--   WX_RUN       this run's number (0..4095): in every openid, so that runs against one database
--                  never send the same push twice
--   WX_EVENT     SCAN (the default) | TEMPLATESENDJOBFINISH: a template message's report, a kind
--                the service answers "success" without storing it (the protocol path alone)
--   WX_PREBUILD  N (timed runs, not with WX_CHECK): each thread's first N requests are built
--                  before wrk's clock starts, all of them by the main Lua state in its first setup()
--                  (wrk starts each thread right after that thread's init, before the next one's, so
--                  building in init would give the first thread a head start), written to
--                  WX_PREBUILD_DIR/requests.<thread>; each thread maps its file and only copies a
--                  request out per send. Past N a thread builds its requests as it goes. Needs WX_THREADS
--                  (wrk's -t). The load generator shares the machine with the server it measures:
--                  encrypting and signing during the run would charge the generator's own cost to
--                  the server measured (more in safe mode than in plaintext).
--   WX_PREBUILD_RATE  requests a second per thread that the prebuilt ones' CreateTime assumes: it
--                  advances one second per that many from the moment they are built, as a live run's
--                  would at that rate (and never ahead of the clock at a slower one). The store keys
--                  pushes by CreateTime first (its dedup key), so one CreateTime for a whole run
--                  would scatter its inserts as no real traffic does.
--   WX_PREBUILD_CYCLE  "1": past N, send the prebuilt requests again from the first (for targets
--                  that store nothing and do the same work for a repeat: nginx, the peers, and
--                  qrscene's kinds that nothing consumes)
--
-- Each thread numbers its requests; the sender's openid encodes (thread, number), so a reply can
-- be matched to the request it answers without keeping any state per request.
local ffi = require("ffi")
local bit = require("bit")

ffi.cdef [[
unsigned char *SHA1(const unsigned char *d, size_t n, unsigned char *md);
typedef struct evp_cipher_st EVP_CIPHER;
typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void);
typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;
EVP_CIPHER *EVP_CIPHER_fetch(OSSL_LIB_CTX *ctx, const char *algorithm, const char *properties);
int EVP_EncryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *type, void *impl, const unsigned char *key, const unsigned char *iv);
int EVP_DecryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *type, void *impl, const unsigned char *key, const unsigned char *iv);
int EVP_CIPHER_CTX_set_padding(EVP_CIPHER_CTX *c, int pad);
int EVP_EncryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl);
int EVP_DecryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl);
int EVP_EncodeBlock(unsigned char *t, const unsigned char *f, int n);
int EVP_DecodeBlock(unsigned char *t, const unsigned char *f, int n);
int open(const char *path, int flags);
int close(int fd);
void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset);
]]
local crypto = ffi.load("crypto")

local TOKEN = os.getenv("WX_TOKEN") or "qrscene_token"
local TO_USER = os.getenv("WX_TO_USER") or "gh_3d0a1d2f3b4c"
local SCENES = tonumber(os.getenv("WX_SCENES") or "1000")
local MODE = os.getenv("WX_MODE") or "plain"
local APPID = os.getenv("WX_APPID") or ""
local AES_KEY = os.getenv("WX_AES_KEY") or ""
local CHECK = os.getenv("WX_CHECK")
local CHANNEL_PREFIX = os.getenv("WX_CHANNEL_PREFIX")
local EVENT = os.getenv("WX_EVENT") or "SCAN"
-- Each wrk run against one database numbers its requests from 1 again: the run's own number in
-- the openid keeps one run's pushes from repeating another's (a push of the same sender in the
-- same second is, by WeChat's rule, the same push: answered, stored once).
local RUN = (tonumber(os.getenv("WX_RUN") or "0") or 0) % 4096
assert(EVENT == "SCAN" or EVENT == "TEMPLATESENDJOBFINISH", "WX_EVENT is SCAN or TEMPLATESENDJOBFINISH")
local POOL = 256
local TICKET = "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw=="

-- The load generator shares the machine with the server it measures, so what it does per request
-- is kept cheap: hex through a table, the cipher fetched once and never set up again per message.
local md = ffi.new("unsigned char[20]")
local hexbuf = ffi.new("char[40]")
local HEX = ffi.new("const char[17]", "0123456789abcdef")
local function sha1_hex(s)
  crypto.SHA1(s, #s, md)
  for i = 0, 19 do
    hexbuf[2 * i] = HEX[bit.rshift(md[i], 4)]
    hexbuf[2 * i + 1] = HEX[bit.band(md[i], 15)]
  end
  return ffi.string(hexbuf, 40)
end
assert(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d", "SHA1 through libcrypto failed")

local function signature(...)
  local parts = { ... }
  table.sort(parts)
  return sha1_hex(table.concat(parts))
end

-- msg_signature = sha1 of sort(token, timestamp, nonce, encrypt): the first three come sorted
-- with the pool entry, so only the ciphertext's place among them is found per request.
local function msg_signature(sorted, encrypt)
  local a, b, c = sorted[1], sorted[2], sorted[3]
  if encrypt < a then return sha1_hex(encrypt .. a .. b .. c) end
  if encrypt < b then return sha1_hex(a .. encrypt .. b .. c) end
  if encrypt < c then return sha1_hex(a .. b .. encrypt .. c) end
  return sha1_hex(a .. b .. c .. encrypt)
end

-- Base64 through libcrypto (no line breaks).
local b64buf = ffi.new("unsigned char[?]", 65536)
local function b64encode(p, n)
  local len = crypto.EVP_EncodeBlock(b64buf, p, n)
  return ffi.string(b64buf, len)
end
local function b64decode(s) -- -> cdata buffer, length
  local len = crypto.EVP_DecodeBlock(b64buf, s, #s)
  if len < 0 then return nil, 0 end
  if s:sub(-1) == "=" then len = len - 1 end
  if s:sub(-2, -2) == "=" then len = len - 1 end
  return b64buf, len
end

-- Safe mode: AES-256-CBC, key = base64(EncodingAESKey + "="), IV = its first 16 bytes, PKCS#7
-- padding to 32-byte blocks; plaintext = 16 random bytes, the XML's length (4 bytes, big-endian),
-- the XML, the AppID.
local key, iv, ectx, dctx, chain
local cipher_in = ffi.new("unsigned char[?]", 8192)
local cipher_out = ffi.new("unsigned char[?]", 8192 + 64)
local outl = ffi.new("int[1]")
if MODE == "safe" then
  assert(#AES_KEY == 43, "WX_AES_KEY must be the 43-character EncodingAESKey")
  assert(APPID ~= "", "WX_APPID is needed in safe mode")
  local k, n = b64decode(AES_KEY .. "=")
  assert(n == 32, "WX_AES_KEY does not decode to 32 bytes")
  key = ffi.new("unsigned char[32]")
  ffi.copy(key, k, 32)
  iv = key -- the first 16 bytes
  local cipher = crypto.EVP_CIPHER_fetch(nil, "AES-256-CBC", nil)
  assert(cipher ~= nil, "AES-256-CBC is not available from libcrypto")
  ectx, dctx = crypto.EVP_CIPHER_CTX_new(), crypto.EVP_CIPHER_CTX_new()
  assert(crypto.EVP_EncryptInit_ex(ectx, cipher, nil, key, iv) == 1)
  assert(crypto.EVP_DecryptInit_ex(dctx, cipher, nil, key, iv) == 1)
  crypto.EVP_CIPHER_CTX_set_padding(ectx, 0)
  crypto.EVP_CIPHER_CTX_set_padding(dctx, 0)
  chain = ffi.new("unsigned char[16]")
  ffi.copy(chain, iv, 16)
end

-- Written straight into the cipher's input buffer: no intermediate Lua strings.
local function seal(xml, salt)
  for i = 15, 0, -1 do -- 16 decimal digits of the salt
    cipher_in[i] = 48 + salt % 10
    salt = math.floor(salt / 10)
  end
  local len = #xml
  cipher_in[16] = bit.band(bit.rshift(len, 24), 255)
  cipher_in[17] = bit.band(bit.rshift(len, 16), 255)
  cipher_in[18] = bit.band(bit.rshift(len, 8), 255)
  cipher_in[19] = bit.band(len, 255)
  ffi.copy(cipher_in + 20, xml, len)
  ffi.copy(cipher_in + 20 + len, APPID, #APPID)
  local n = 20 + len + #APPID
  local pad = 32 - n % 32
  ffi.fill(cipher_in + n, pad, pad)
  n = n + pad
  -- The context's CBC chain runs on from the last message (no init per message, as in the
  -- server's src/wechat/msg_crypt.cpp): the first block is XORed with chain ^ IV instead.
  for i = 0, 15 do cipher_in[i] = bit.bxor(cipher_in[i], chain[i], iv[i]) end
  crypto.EVP_EncryptUpdate(ectx, cipher_out, outl, cipher_in, n)
  ffi.copy(chain, cipher_out + outl[0] - 16, 16)
  return b64encode(cipher_out, outl[0])
end

local function open(encrypt) -- -> the XML inside, or nil
  local buf, n = b64decode(encrypt)
  if not buf or n < 32 or n % 16 ~= 0 then return nil end
  ffi.copy(cipher_in, buf, n)
  crypto.EVP_DecryptInit_ex(dctx, nil, nil, nil, iv)
  crypto.EVP_DecryptUpdate(dctx, cipher_out, outl, cipher_in, n)
  local plain = ffi.string(cipher_out, outl[0])
  local len = plain:byte(17) * 16777216 + plain:byte(18) * 65536 + plain:byte(19) * 256 + plain:byte(20)
  if 20 + len > #plain then return nil end
  return plain:sub(21, 20 + len)
end

local PREBUILD = (not CHECK) and tonumber(os.getenv("WX_PREBUILD") or "0") or 0
local PREBUILD_DIR = os.getenv("WX_PREBUILD_DIR") or ""
local PREBUILD_CYCLE = os.getenv("WX_PREBUILD_CYCLE") == "1"
local THREADS = tonumber(os.getenv("WX_THREADS") or "0") or 0
local PREBUILD_RATE = tonumber(os.getenv("WX_PREBUILD_RATE") or "30000") or 30000
assert(PREBUILD == 0 or (PREBUILD_DIR ~= "" and THREADS > 0), "WX_PREBUILD needs WX_PREBUILD_DIR and WX_THREADS")

local tid, counter = 0, 0
local pool = {}
local headers = { ["Content-Type"] = "text/xml" }
checked, bad = 0, 0
first_bad = ""

local DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local VALUE = {}
for i = 1, 64 do VALUE[DIGITS:sub(i, i)] = i - 1 end

-- 28 characters like a real openid: "oBnch", 2 digits of thread, 2 of the run, 12 filler, 7 of
-- the number.
local function openid(thread, n)
  local out = {}
  for i = 7, 1, -1 do
    local r = n % 64
    out[i] = DIGITS:sub(r + 1, r + 1)
    n = math.floor(n / 64)
  end
  local hi, lo = math.floor(RUN / 64), RUN % 64
  return string.format("oBnch%02d", thread % 100) .. DIGITS:sub(hi + 1, hi + 1) .. DIGITS:sub(lo + 1, lo + 1) ..
    "3bT7rW2kLm9Z" .. table.concat(out)
end
local function number_of(id) -- inverse of openid(): thread, number
  local n = 0
  for i = 22, 28 do n = n * 64 + (VALUE[id:sub(i, i)] or 0) end
  return tonumber(id:sub(6, 7)), n
end
local function scene_of(thread, n) return (n * 7 + thread * 131) % SCENES + 1 end

-- A thread's signed query strings: POOL (timestamp, nonce) pairs used in turn.
local function make_pool(thread)
  math.randomseed(os.time() + thread * 7919)
  local now = os.time()
  local base = wrk.path ~= "" and wrk.path or "/"
  local sep = base:find("?", 1, true) and "&" or "?"
  local p = {}
  for i = 1, POOL do
    local ts = tostring(now - math.random(0, 30))
    local nonce = tostring(math.random(100000000, 2147483647))
    local sorted = { TOKEN, ts, nonce }
    table.sort(sorted)
    p[i] = { ts = ts, nonce = nonce, sorted = sorted,
      path = base .. sep .. "signature=" .. signature(TOKEN, ts, nonce) .. "&timestamp=" .. ts .. "&nonce=" .. nonce }
  end
  return p
end

local XML = "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>" ..
    "<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>" ..
    "<EventKey><![CDATA[%d]]></EventKey><Ticket><![CDATA[" .. TICKET .. "]]></Ticket></xml>"
if EVENT == "TEMPLATESENDJOBFINISH" then -- MsgID in place of the scene
  XML = "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>" ..
      "<CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType>" ..
      "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>%d</MsgID><Status><![CDATA[success]]></Status></xml>"
end

-- Request number n of a thread, with that thread's query strings, sent at create_time.
local function build(thread, n, queries, create_time)
  local from = openid(thread, n)
  local xml = string.format(XML, TO_USER, from, create_time, scene_of(thread, n))
  local p = queries[n % POOL + 1]
  if MODE ~= "safe" then
    return wrk.format("POST", p.path .. "&openid=" .. from, headers, xml)
  end
  local encrypt = seal(xml, n * 100 + thread)
  local body = "<xml><ToUserName><![CDATA[" .. TO_USER .. "]]></ToUserName><Encrypt><![CDATA[" .. encrypt ..
      "]]></Encrypt></xml>"
  return wrk.format("POST", p.path .. "&openid=" .. from .. "&encrypt_type=aes&msg_signature=" ..
    msg_signature(p.sorted, encrypt), headers, body)
end

local function prebuilt_file(thread) return PREBUILD_DIR .. "/requests." .. thread end

-- The main state, before the first thread starts: every thread's first PREBUILD requests, each
-- written as its length (4 bytes, little-endian) and its bytes.
local function prebuild_all()
  if not wrk.headers["Host"] then -- what wrk.init does in each thread's own state
    local host = wrk.host:find(":") and ("[" .. wrk.host .. "]") or wrk.host
    wrk.headers["Host"] = wrk.port and (host .. ":" .. wrk.port) or host
  end
  for thread = 0, THREADS - 1 do
    local f = assert(io.open(prebuilt_file(thread), "wb"))
    f:setvbuf("full", 1048576)
    local queries = make_pool(thread)
    local built_at = os.time()
    for n = 1, PREBUILD do
      local r = build(thread, n, queries, built_at + math.floor((n - 1) / PREBUILD_RATE))
      local len = #r
      assert(f:write(string.char(bit.band(len, 255), bit.band(bit.rshift(len, 8), 255),
        bit.band(bit.rshift(len, 16), 255), bit.rshift(len, 24)), r))
    end
    local ok, err = f:close()
    assert(ok, "cannot write " .. prebuilt_file(thread) .. " (is its file system full?): " .. tostring(err))
  end
end

-- The whole machine's CPU ticks (/proc/stat): busy, idle (iowait counted idle).
local function machine_ticks()
  local f = io.open("/proc/stat", "r")
  if not f then return 0, 0 end
  local line = f:read("*l")
  f:close()
  local v = {}
  for x in line:gmatch("%d+") do v[#v + 1] = tonumber(x) end
  return v[1] + v[2] + v[3] + v[6] + v[7] + v[8], v[4] + v[5]
end

-- Per-thread numbering, set up from the main state. The last thread's setup is where the run
-- starts as far as CPU goes: what wrk's process used before it (building the requests) and the
-- machine's ticks before it are not the run's (done() reports the rest).
local next_thread = 0
local threads = {}
local cpu_at_start, busy_at_start, idle_at_start = 0, 0, 0
function setup(thread)
  if next_thread == 0 and PREBUILD > 0 then prebuild_all() end
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
  cpu_at_start = os.clock() -- the whole process, every thread
  busy_at_start, idle_at_start = machine_ticks()
end

-- A thread's prebuilt requests, mapped: base, size, and the next one's offset.
local mapped, mapped_size, mapped_at = nil, 0, 0
built_live = 0

function init(args)
  tid = thread_id or 0
  pool = make_pool(tid)
  if PREBUILD > 0 then
    local path = prebuilt_file(tid)
    local f = assert(io.open(path, "rb"))
    mapped_size = f:seek("end")
    f:close()
    local fd = ffi.C.open(path, 0) -- O_RDONLY
    assert(fd >= 0, "cannot open " .. path)
    local p = ffi.C.mmap(nil, mapped_size, 1, 2, fd, 0) -- PROT_READ, MAP_PRIVATE
    ffi.C.close(fd)
    assert(ffi.cast("intptr_t", p) ~= -1, "cannot map " .. path)
    mapped = ffi.cast("const uint8_t *", p)
  end
end

function request()
  counter = counter + 1
  if mapped ~= nil then
    if mapped_at >= mapped_size and PREBUILD_CYCLE then mapped_at = 0 end
    if mapped_at + 4 <= mapped_size then
      local m = mapped + mapped_at
      local len = m[0] + m[1] * 256 + m[2] * 65536 + m[3] * 16777216
      assert(mapped_at + 4 + len <= mapped_size, "a prebuilt request runs past the end of its file")
      mapped_at = mapped_at + 4 + len
      return ffi.string(m + 4, len)
    end
  end
  if PREBUILD > 0 then built_live = built_live + 1 end
  return build(tid, counter, pool, os.time())
end

local function judge(status, body)
  if status ~= 200 or body == nil then return "HTTP " .. tostring(status) end
  if CHECK == "success" then
    if body == "success" then return nil end
    return "not 'success': " .. body:sub(1, 80)
  end
  if MODE == "safe" then
    local encrypt = body:match("<Encrypt><!%[CDATA%[(.-)%]%]></Encrypt>")
    if not encrypt then return "no Encrypt in " .. body:sub(1, 120) end
    body = open(encrypt)
    if not body then return "the reply does not decrypt" end
  end
  local to = body:match("<ToUserName><!%[CDATA%[(.-)%]%]></ToUserName>")
  if not to or #to ~= 28 then return "no ToUserName in " .. body:sub(1, 120) end
  if not body:find("<MsgType><![CDATA[text]]></MsgType>", 1, true) then return "not a text reply" end
  local thread, n = number_of(to)
  local scene = scene_of(thread, n)
  local want = "welcome, scene " .. scene
  if CHANNEL_PREFIX then want = want .. " (" .. CHANNEL_PREFIX .. scene .. ")" end
  local content = body:match("<Content><!%[CDATA%[(.-)%]%]></Content>")
  if content ~= want then
    return string.format("to %s: %q, want %q", to, tostring(content), want)
  end
  return nil
end

if CHECK then
  function response(status, hdrs, body)
    checked = checked + 1
    local why = judge(status, body)
    if why then
      bad = bad + 1
      if first_bad == "" then first_bad = why end
    end
  end
end

function done(summary, latency, requests)
  local busy, idle = machine_ticks()
  io.write(string.format("cpu during the run: wrk %.3f s, machine busy %d idle %d ticks\n", os.clock() - cpu_at_start,
    busy - busy_at_start, idle - idle_at_start))
  if PREBUILD > 0 then
    local live = 0
    for _, t in ipairs(threads) do live = live + (t:get("built_live") or 0) end
    io.write(string.format("requests built during the run: %d (%d prebuilt per thread%s)\n", live, PREBUILD,
      PREBUILD_CYCLE and ", sent in turn" or ""))
  end
  if not CHECK then return end
  local n, b, why = 0, 0, ""
  for _, t in ipairs(threads) do
    n = n + (t:get("checked") or 0)
    b = b + (t:get("bad") or 0)
    if why == "" then why = t:get("first_bad") or "" end
  end
  io.write(string.format("reply check: %d checked, %d wrong%s\n", n, b, why ~= "" and (" (first: " .. why .. ")") or ""))
end
