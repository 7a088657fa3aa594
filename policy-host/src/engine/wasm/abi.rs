//! The host side of the OPA WASM ABI 1.x: memory and imports, data loading, and both evaluation
//! paths (`opa_eval` from 1.2, the `eval` context calls before), under fuel and memory limits.

use std::collections::BTreeMap;

use wasmtime::{
    AsContext, AsContextMut, Caller, Config, Engine, Extern, ExternType, Instance, Linker, Memory, MemoryType, Module,
    ResourceLimiter, Store, Trap, TypedFunc,
};

use super::builtins::HostBuiltins;
use crate::engine::EvalError;

const PAGE: u64 = 65536;

pub use crate::limits::WasmLimits;

/// `opa_eval(reserved, entrypoint, data, input, input_len, heap_ptr, format) -> result string`.
type OpaEval = TypedFunc<(i32, i32, i32, i32, i32, i32, i32), i32>;

/// Which evaluation path to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EvalPath {
    /// `opa_eval` when the module has it (ABI ≥ 1.2), else the context calls.
    Best,
    /// Always the ABI 1.0 context calls (`opa_eval_ctx_*`, `eval`).
    Classic,
}

/// The store's state: limits, builtins and what the module told us.
struct HostState {
    memory: Option<Memory>,
    max_memory_bytes: u64,
    memory_exceeded: bool,
    builtins: HostBuiltins,
    abort: Option<String>,
}

impl ResourceLimiter for HostState {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if u64::try_from(desired).unwrap_or(u64::MAX) > self.max_memory_bytes {
            self.memory_exceeded = true;
            return Err(wasmtime::Error::msg(format!(
                "memory would grow to {desired} bytes, above the cap of {} bytes",
                self.max_memory_bytes
            )));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// A compiled policy module, shareable across threads; instantiate it per worker.
pub(crate) struct OpaModule {
    engine: Engine,
    module: Module,
    linker: Linker<HostState>,
    memory: MemoryType,
    limits: WasmLimits,
}

impl OpaModule {
    /// Compiles `bytes` (WASM binary, or WAT text) and checks the imports the ABI requires.
    pub(crate) fn compile(bytes: &[u8], limits: WasmLimits) -> Result<Self, String> {
        let mut config = Config::new();
        config.consume_fuel(true);
        let engine = Engine::new(&config).map_err(|e| format!("cannot create WASM engine: {e}"))?;
        let module = Module::new(&engine, bytes).map_err(|e| format!("invalid WASM module: {e:#}"))?;
        let mut memory = None;
        for import in module.imports() {
            match (import.module(), import.name(), import.ty()) {
                ("env", "memory", ExternType::Memory(ty)) => memory = Some(ty),
                ("env", name, ExternType::Func(_))
                    if name == "opa_abort" || name == "opa_println" || name.starts_with("opa_builtin") => {}
                (module, name, _) => {
                    return Err(format!("module imports {module}.{name}, which the OPA WASM ABI does not provide"));
                }
            }
        }
        let memory = memory.ok_or("module does not import env.memory (not an OPA policy module?)")?;
        let cap_pages = limits.max_memory_bytes / PAGE;
        if memory.minimum() > cap_pages {
            return Err(format!(
                "module asks for {} MiB of initial memory, above the cap of {} MiB",
                memory.minimum() * PAGE / (1024 * 1024),
                limits.max_memory_bytes / (1024 * 1024)
            ));
        }
        let maximum = memory.maximum().map_or(cap_pages, |m| m.min(cap_pages));
        let minimum = u32::try_from(memory.minimum()).map_err(|_| "memory minimum out of range")?;
        let maximum = u32::try_from(maximum).unwrap_or(u32::MAX);
        let memory = MemoryType::new(minimum, Some(maximum));
        let mut linker = Linker::new(&engine);
        define_imports(&mut linker).map_err(|e| format!("cannot define imports: {e}"))?;
        Ok(Self { engine, module, linker, memory, limits })
    }

    /// Instantiates the module, reads its ABI version, builtins and entrypoints, and loads `data`.
    pub(crate) fn instantiate(&self, data_json: &str) -> Result<OpaInstance, EvalError> {
        let state = HostState {
            memory: None,
            max_memory_bytes: self.limits.max_memory_bytes,
            memory_exceeded: false,
            builtins: HostBuiltins::new(&BTreeMap::new()),
            abort: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| state);
        refuel(&mut store, self.limits.fuel)?;
        let memory = Memory::new(&mut store, self.memory.clone())
            .map_err(|e| EvalError::Memory(format!("cannot create memory: {e}")))?;
        store.data_mut().memory = Some(memory);
        let mut linker = self.linker.clone();
        linker
            .define(&store, "env", "memory", memory)
            .map_err(|e| EvalError::Failed(format!("cannot provide memory: {e}")))?;
        let instance = linker.instantiate(&mut store, &self.module).map_err(|e| trap_error(&store, &e))?;
        let exports = Exports::find(&instance, &mut store)?;
        let abi = abi_version(&instance, &mut store)?;
        let mut this = OpaInstance {
            store,
            instance,
            memory,
            exports,
            abi,
            fuel: self.limits.fuel,
            data_addr: 0,
            base_heap: 0,
            entrypoints: BTreeMap::new(),
        };
        let builtins = this.read_map("builtins")?;
        this.store.data_mut().builtins = HostBuiltins::new(&builtins);
        this.entrypoints = this.read_map("entrypoints")?;
        this.data_addr = this.load_json(data_json)?;
        if this.data_addr == 0 {
            return Err(EvalError::Failed("the module could not parse the data document".into()));
        }
        this.base_heap = this.call(&this.exports.heap_ptr_get.clone(), ())?;
        Ok(this)
    }
}

/// The exported functions the host calls.
#[derive(Clone)]
struct Exports {
    malloc: TypedFunc<i32, i32>,
    json_parse: TypedFunc<(i32, i32), i32>,
    json_dump: TypedFunc<i32, i32>,
    heap_ptr_get: TypedFunc<(), i32>,
    heap_ptr_set: TypedFunc<i32, ()>,
    ctx_new: TypedFunc<(), i32>,
    ctx_set_input: TypedFunc<(i32, i32), ()>,
    ctx_set_data: TypedFunc<(i32, i32), ()>,
    ctx_set_entrypoint: TypedFunc<(i32, i32), ()>,
    ctx_get_result: TypedFunc<i32, i32>,
    eval: TypedFunc<i32, i32>,
    opa_eval: Option<OpaEval>,
}

impl Exports {
    fn find(instance: &Instance, store: &mut Store<HostState>) -> Result<Self, EvalError> {
        macro_rules! get {
            ($name:literal) => {
                instance.get_typed_func(&mut *store, $name).map_err(|e| {
                    EvalError::Failed(format!("module does not export {} as the ABI requires: {e}", $name))
                })?
            };
        }
        Ok(Self {
            malloc: get!("opa_malloc"),
            json_parse: get!("opa_json_parse"),
            json_dump: get!("opa_json_dump"),
            heap_ptr_get: get!("opa_heap_ptr_get"),
            heap_ptr_set: get!("opa_heap_ptr_set"),
            ctx_new: get!("opa_eval_ctx_new"),
            ctx_set_input: get!("opa_eval_ctx_set_input"),
            ctx_set_data: get!("opa_eval_ctx_set_data"),
            ctx_set_entrypoint: get!("opa_eval_ctx_set_entrypoint"),
            ctx_get_result: get!("opa_eval_ctx_get_result"),
            eval: get!("eval"),
            opa_eval: instance.get_typed_func(&mut *store, "opa_eval").ok(),
        })
    }
}

/// A live instance with data loaded; evaluate it many times, reusing its memory.
pub(crate) struct OpaInstance {
    store: Store<HostState>,
    instance: Instance,
    memory: Memory,
    exports: Exports,
    abi: (i32, i32),
    fuel: u64,
    data_addr: i32,
    /// Heap pointer just after the data document: every evaluation starts here.
    base_heap: i32,
    entrypoints: BTreeMap<String, i32>,
}

impl OpaInstance {
    /// Entrypoint names (`plan/deny`) and their ids.
    pub(crate) fn entrypoints(&self) -> &BTreeMap<String, i32> {
        &self.entrypoints
    }

    /// Current size of the module's linear memory.
    #[cfg(test)]
    pub(crate) fn memory_bytes(&self) -> usize {
        self.memory.data_size(&self.store)
    }

    /// The module's ABI version (major, minor).
    pub(crate) fn abi_version(&self) -> (i32, i32) {
        self.abi
    }

    /// Puts one input into the module's memory, ready for any number of entrypoints.
    ///
    /// `opa_eval` (ABI ≥ 1.2) gets the JSON text, copied once to the heap base; the classic path
    /// parses it once with `opa_json_parse` and starts each evaluation just after it.
    pub(crate) fn prepare_input(&mut self, input_json: &str, path: EvalPath) -> Result<PreparedInput, EvalError> {
        match (path, self.exports.opa_eval.clone()) {
            (EvalPath::Best, Some(opa_eval)) if self.abi.1 >= 2 => {
                let (addr, len) = self.write_input_at_base(input_json)?;
                Ok(PreparedInput::Fast { opa_eval, addr, len })
            }
            _ => {
                let (value, heap) = self.parse_input(input_json)?;
                Ok(PreparedInput::Classic { value, heap })
            }
        }
    }

    /// Evaluates one entrypoint: `Some(value)`, or `None` when the result is undefined.
    ///
    /// After an `Err`, the instance may be inconsistent and must be dropped.
    pub(crate) fn eval(
        &mut self,
        input: &PreparedInput,
        entrypoint: i32,
    ) -> Result<Option<serde_json::Value>, EvalError> {
        let text = match input {
            PreparedInput::Fast { opa_eval, addr, len } => self.eval_fast(opa_eval, entrypoint, *addr, *len)?,
            PreparedInput::Classic { value, heap } => self.eval_classic(entrypoint, *value, *heap)?,
        };
        result_value(&text)
    }

    /// ABI 1.2: the input JSON is copied to the heap base and `opa_eval` parses it itself.
    fn write_input_at_base(&mut self, input_json: &str) -> Result<(i32, i32), EvalError> {
        let len = i32::try_from(input_json.len()).map_err(|_| EvalError::Memory("input larger than 2 GiB".into()))?;
        let addr = self.base_heap;
        let end = u64::try_from(addr).unwrap_or(0) + u64::try_from(len).unwrap_or(0);
        let size = self.memory.data_size(&self.store) as u64;
        if end > size {
            let pages = (end - size).div_ceil(PAGE);
            self.memory.grow(&mut self.store, pages).map_err(|e| self.classify(&e))?;
        }
        self.memory
            .write(&mut self.store, usize::try_from(addr).unwrap_or(0), input_json.as_bytes())
            .map_err(|e| EvalError::Failed(format!("cannot write input: {e}")))?;
        Ok((addr, len))
    }

    fn eval_fast(
        &mut self,
        opa_eval: &OpaEval,
        entrypoint: i32,
        input_addr: i32,
        input_len: i32,
    ) -> Result<String, EvalError> {
        let heap = input_addr.saturating_add(input_len);
        let args = (0, entrypoint, self.data_addr, input_addr, input_len, heap, 0);
        let out = self.call(opa_eval, args)?;
        self.read_cstr(out)
    }

    /// ABI 1.0: parse the input once, then one evaluation context per entrypoint.
    fn parse_input(&mut self, input_json: &str) -> Result<(i32, i32), EvalError> {
        let set = self.exports.heap_ptr_set.clone();
        self.call(&set, self.base_heap)?;
        let value = self.load_json(input_json)?;
        if value == 0 {
            return Err(EvalError::Failed("the module could not parse the input document".into()));
        }
        let get = self.exports.heap_ptr_get.clone();
        let heap = self.call(&get, ())?;
        Ok((value, heap))
    }

    fn eval_classic(&mut self, entrypoint: i32, input: i32, heap: i32) -> Result<String, EvalError> {
        let e = self.exports.clone();
        self.call(&e.heap_ptr_set, heap)?;
        let ctx = self.call(&e.ctx_new, ())?;
        self.call(&e.ctx_set_input, (ctx, input))?;
        self.call(&e.ctx_set_data, (ctx, self.data_addr))?;
        self.call(&e.ctx_set_entrypoint, (ctx, entrypoint))?;
        self.call(&e.eval, ctx)?;
        let result = self.call(&e.ctx_get_result, ctx)?;
        let text = self.call(&e.json_dump, result)?;
        self.read_cstr(text)
    }

    /// Copies JSON into the module's heap and parses it there; returns the value address (0 on
    /// a parse failure).
    fn load_json(&mut self, json: &str) -> Result<i32, EvalError> {
        let len = i32::try_from(json.len()).map_err(|_| EvalError::Memory("document larger than 2 GiB".into()))?;
        let malloc = self.exports.malloc.clone();
        let addr = self.call(&malloc, len)?;
        self.memory
            .write(&mut self.store, usize::try_from(addr).unwrap_or(usize::MAX), json.as_bytes())
            .map_err(|e| EvalError::Failed(format!("opa_malloc returned a bad address: {e}")))?;
        let parse = self.exports.json_parse.clone();
        self.call(&parse, (addr, len))
    }

    /// Calls an exported function returning a JSON value address and dumps that value.
    fn read_map(&mut self, export: &str) -> Result<BTreeMap<String, i32>, EvalError> {
        let func = self
            .instance
            .get_typed_func::<(), i32>(&mut self.store, export)
            .map_err(|e| EvalError::Failed(format!("module does not export {export}: {e}")))?;
        let value = self.call(&func, ())?;
        let dump = self.exports.json_dump.clone();
        let text = self.call(&dump, value)?;
        let text = self.read_cstr(text)?;
        serde_json::from_str(&text).map_err(|e| EvalError::Failed(format!("{export}() is not a name-to-id map: {e}")))
    }

    fn read_cstr(&self, addr: i32) -> Result<String, EvalError> {
        read_cstr(&self.memory, &self.store, addr).map_err(EvalError::Failed)
    }

    /// Calls into the module with a fresh fuel budget, turning traps into [`EvalError`]s.
    fn call<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
        &mut self,
        func: &TypedFunc<P, R>,
        params: P,
    ) -> Result<R, EvalError> {
        refuel(&mut self.store, self.fuel)?;
        func.call(&mut self.store, params).map_err(|e| self.classify(&e))
    }

    fn classify(&self, e: &wasmtime::Error) -> EvalError {
        trap_error(&self.store, e)
    }
}

/// An input placed in module memory by [`OpaInstance::prepare_input`].
pub(crate) enum PreparedInput {
    /// For `opa_eval`: where the JSON text is.
    Fast { opa_eval: OpaEval, addr: i32, len: i32 },
    /// For the context calls: the parsed value and the heap pointer after it.
    Classic { value: i32, heap: i32 },
}

fn refuel(store: &mut Store<HostState>, fuel: u64) -> Result<(), EvalError> {
    store.set_fuel(fuel).map_err(|e| EvalError::Failed(format!("cannot set fuel: {e}")))
}

/// Names the cause of a failed call: fuel, memory cap, `opa_abort`, or another trap.
fn trap_error(store: &Store<HostState>, e: &wasmtime::Error) -> EvalError {
    let state = store.data();
    if let Some(message) = &state.abort {
        return EvalError::Failed(format!("opa_abort: {message}"));
    }
    if state.memory_exceeded {
        return EvalError::Memory(format!(
            "the module needed more than {} MiB",
            state.max_memory_bytes / (1024 * 1024)
        ));
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => EvalError::Budget("the module ran out of fuel".into()),
        Some(trap) => EvalError::Failed(format!("the module trapped: {trap}")),
        None => EvalError::Failed(format!("{e:#}")),
    }
}

/// Reads the module's `opa_wasm_abi_version` globals; modules older than OPA 0.27 have none (1.0).
fn abi_version(instance: &Instance, store: &mut Store<HostState>) -> Result<(i32, i32), EvalError> {
    let mut global = |name: &str| instance.get_global(&mut *store, name).and_then(|g| g.get(&mut *store).i32());
    let major = global("opa_wasm_abi_version").unwrap_or(1);
    let minor = global("opa_wasm_abi_minor_version").unwrap_or(0);
    if major != 1 {
        return Err(EvalError::Failed(format!(
            "unsupported OPA WASM ABI version {major}.{minor} (this host runs 1.x)"
        )));
    }
    Ok((major, minor))
}

/// Reads a NUL-terminated UTF-8 string the module left in memory.
fn read_cstr(memory: &Memory, store: impl AsContext, addr: i32) -> Result<String, String> {
    let data = memory.data(&store);
    let start = usize::try_from(addr).map_err(|_| format!("negative address {addr}"))?;
    let tail = data.get(start..).ok_or_else(|| format!("address {addr} is outside memory"))?;
    let end = tail.iter().position(|b| *b == 0).ok_or_else(|| format!("string at {addr} is not NUL-terminated"))?;
    let bytes = tail.get(..end).unwrap_or_default();
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("string at {addr} is not UTF-8: {e}"))
}

/// Unpacks a result set `[{"result": V}]`: `Some(V)`, or `None` when the set is empty (undefined).
fn result_value(text: &str) -> Result<Option<serde_json::Value>, EvalError> {
    let set: serde_json::Value =
        serde_json::from_str(text).map_err(|e| EvalError::Failed(format!("result set is not JSON: {e}")))?;
    match set {
        serde_json::Value::Array(items) => match items.into_iter().next() {
            None => Ok(None),
            Some(serde_json::Value::Object(mut bindings)) => Ok(bindings.remove("result")),
            Some(other) => Err(EvalError::Failed(format!("result set entry is not an object: {other}"))),
        },
        other => Err(EvalError::Failed(format!("result set is not an array: {other}"))),
    }
}

fn define_imports(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.func_wrap("env", "opa_abort", |caller: Caller<'_, HostState>, addr: i32| {
        let message = caller_memory(&caller)
            .and_then(|m| read_cstr(&m, &caller, addr))
            .unwrap_or_else(|e| format!("(unreadable message: {e})"));
        let mut caller = caller;
        caller.data_mut().abort = Some(message.clone());
        Err::<(), _>(wasmtime::Error::msg(format!("opa_abort: {message}")))
    })?;
    linker.func_wrap("env", "opa_println", |caller: Caller<'_, HostState>, addr: i32| {
        match caller_memory(&caller).and_then(|m| read_cstr(&m, &caller, addr)) {
            Ok(line) => tracing::info!(target: "wasm_print", "{line}"),
            Err(e) => tracing::warn!("opa_println: {e}"),
        }
    })?;
    linker.func_wrap("env", "opa_builtin0", |mut c: Caller<'_, HostState>, id: i32, _ctx: i32| {
        call_builtin(&mut c, id, &[])
    })?;
    linker.func_wrap("env", "opa_builtin1", |mut c: Caller<'_, HostState>, id: i32, _ctx: i32, a: i32| {
        call_builtin(&mut c, id, &[a])
    })?;
    linker.func_wrap("env", "opa_builtin2", |mut c: Caller<'_, HostState>, id: i32, _ctx: i32, a: i32, b: i32| {
        call_builtin(&mut c, id, &[a, b])
    })?;
    linker.func_wrap(
        "env",
        "opa_builtin3",
        |mut c: Caller<'_, HostState>, id: i32, _ctx: i32, a: i32, b: i32, d: i32| call_builtin(&mut c, id, &[a, b, d]),
    )?;
    linker.func_wrap(
        "env",
        "opa_builtin4",
        |mut c: Caller<'_, HostState>, id: i32, _ctx: i32, a: i32, b: i32, d: i32, e: i32| {
            call_builtin(&mut c, id, &[a, b, d, e])
        },
    )?;
    Ok(())
}

fn caller_memory(caller: &Caller<'_, HostState>) -> Result<Memory, String> {
    caller.data().memory.ok_or_else(|| "memory not ready".to_string())
}

fn caller_func<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
    caller: &mut Caller<'_, HostState>,
    name: &str,
) -> wasmtime::Result<TypedFunc<P, R>> {
    match caller.get_export(name) {
        Some(Extern::Func(f)) => f.typed(&*caller),
        _ => Err(wasmtime::Error::msg(format!("module does not export {name}"))),
    }
}

/// Serves `opa_builtinN`: dump each argument to JSON, run the builtin, parse the result back in.
fn call_builtin(caller: &mut Caller<'_, HostState>, id: i32, args: &[i32]) -> wasmtime::Result<i32> {
    let memory = caller_memory(caller).map_err(wasmtime::Error::msg)?;
    let dump: TypedFunc<i32, i32> = caller_func(caller, "opa_json_dump")?;
    let mut values = Vec::with_capacity(args.len());
    for &arg in args {
        let text_addr = dump.call(&mut *caller, arg)?;
        let text = read_cstr(&memory, &*caller, text_addr).map_err(wasmtime::Error::msg)?;
        let value = regorus::Value::from_json_str(&text)
            .map_err(|e| wasmtime::Error::msg(format!("builtin argument is not JSON: {e}")))?;
        values.push(value);
    }
    let result = caller.data_mut().builtins.call(id, values).map_err(wasmtime::Error::msg)?;
    let Some(result) = result else {
        return Ok(0);
    };
    let json = result.to_json_str().map_err(|e| wasmtime::Error::msg(format!("builtin result is not JSON: {e}")))?;
    let len = i32::try_from(json.len()).map_err(|_| wasmtime::Error::msg("builtin result too large"))?;
    let malloc: TypedFunc<i32, i32> = caller_func(caller, "opa_malloc")?;
    let addr = malloc.call(&mut *caller, len)?;
    memory.write(caller.as_context_mut(), usize::try_from(addr).unwrap_or(usize::MAX), json.as_bytes())?;
    let parse: TypedFunc<(i32, i32), i32> = caller_func(caller, "opa_json_parse")?;
    parse.call(&mut *caller, (addr, len))
}
