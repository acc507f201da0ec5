/**
 * INFO: the server's state as `field:value` lines under `# Section` headers,
 * with Redis's field names and `\r\n` line endings, so that tools parsing
 * Redis's INFO (redis-cli, redis-benchmark, client libraries, exporters)
 * read ours. Values Shardis has no equivalent for (fork, AOF rewrite,
 * defrag...) are reported as Redis reports them when idle.
 *
 * Section selection follows Redis 7.0: no argument or `default` gives the
 * default sections, `all` every section but modules, `everything` all of
 * them; other names (case-insensitive) pick single sections, several may be
 * given.
 */
import { cpuUsage, memoryUsage as processMemory } from 'node:process';
import { totalmem } from 'node:os';
import type { Client } from './client.js';
// dispatch.js first: it loads every command module in order (commands/pubsub.js
// reached first would enter the connection ↔ dispatch cycle from the wrong end).
import { COMMANDS, type ResolvedCommand } from './dispatch.js';
import { pubsubCounts } from './commands/pubsub.js';
import type { Server } from './server.js';

/** Name and version Shardis reports for itself in INFO's server section. */
export const SHARDIS_VERSION = '0.1.0';

const DEFAULT_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'errorstats',
  'cluster',
  'keyspace',
];
const ALL_SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'keyspace',
];

/** Formats a byte count as Redis's bytesToHuman: `1.25M`, `200B`. */
export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)}${units[i]}`;
}

/** Every resolved command and subcommand, for commandstats. */
function* allCommands(): IterableIterator<ResolvedCommand> {
  const seen = new Set<ResolvedCommand>();
  for (const cmd of COMMANDS.values()) {
    if (seen.has(cmd)) continue;
    seen.add(cmd);
    if (cmd.subcommands) {
      for (const sub of cmd.subcommands.values()) yield sub;
    } else {
      yield cmd;
    }
  }
}

/** Estimated bytes used by the dataset: collection sizes plus strings. */
export function datasetMemory(server: Server): number {
  let total = 0;
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    for (const [k, v] of db.entries()) total += 16 + k.length + (typeof v === 'string' ? 16 + v.length : v.memoryUsage());
  }
  return total;
}

function section(name: string, server: Server): string {
  const cfg = server.config;
  const now = server.clock.now();
  let s = '';
  const line = (k: string, v: string | number): void => {
    s += `${k}:${v}\r\n`;
  };
  switch (name) {
    case 'server': {
      const uptime = Math.floor((now - server.startTime) / 1000);
      line('redis_version', '7.0.15');
      line('shardis_version', SHARDIS_VERSION);
      line('redis_git_sha1', '00000000');
      line('redis_git_dirty', 0);
      line('redis_build_id', '0');
      line('redis_mode', cfg.getBool('cluster-enabled') ? 'cluster' : 'standalone');
      line('server_name', 'shardis');
      line('os', `${process.platform} ${process.arch}`);
      line('arch_bits', 64);
      line('monotonic_clock', 'POSIX clock_gettime');
      line('multiplexing_api', 'libuv');
      line('atomicvar_api', 'c11-builtin');
      line('gcc_version', '0.0.0');
      line('node_version', process.versions.node);
      line('process_id', process.pid);
      line('process_supervised', 'no');
      line('run_id', server.runId);
      line('tcp_port', server.port);
      line('server_time_usec', now * 1000);
      line('uptime_in_seconds', uptime);
      line('uptime_in_days', Math.floor(uptime / 86400));
      line('hz', cfg.getNumber('hz'));
      line('configured_hz', cfg.getNumber('hz'));
      line('lru_clock', Math.floor(now / 1000) & 0xffffff);
      line('executable', process.argv[1] ?? '');
      line('config_file', cfg.file ?? '');
      line('io_threads_active', 0);
      break;
    }
    case 'clients': {
      let blocked = 0;
      let maxIn = 0;
      let maxOut = 0;
      for (const c of server.clients.values()) {
        if (c.blocked !== undefined) blocked++;
        maxIn = Math.max(maxIn, c.parser.bufferedBytes);
        maxOut = Math.max(maxOut, c.outputBytes);
      }
      line('connected_clients', server.clients.size);
      line('cluster_connections', 0);
      line('maxclients', cfg.getNumber('maxclients'));
      line('client_recent_max_input_buffer', maxIn);
      line('client_recent_max_output_buffer', maxOut);
      line('blocked_clients', blocked);
      line('tracking_clients', 0);
      line('clients_in_timeout_table', blocked);
      break;
    }
    case 'memory': {
      const mem = processMemory();
      const used = mem.heapUsed + mem.external;
      const maxmemory = cfg.getNumber('maxmemory');
      const dataset = datasetMemory(server);
      const sys = totalmem();
      line('used_memory', used);
      line('used_memory_human', bytesToHuman(used));
      line('used_memory_rss', mem.rss);
      line('used_memory_rss_human', bytesToHuman(mem.rss));
      line('used_memory_peak', Math.max(used, peakMemory(used)));
      line('used_memory_peak_human', bytesToHuman(peakMemory(used)));
      line('used_memory_peak_perc', `${((used / peakMemory(used)) * 100).toFixed(2)}%`);
      line('used_memory_overhead', Math.max(0, used - dataset));
      line('used_memory_startup', 0);
      line('used_memory_dataset', dataset);
      line('used_memory_dataset_perc', `${used === 0 ? '0.00' : ((dataset / used) * 100).toFixed(2)}%`);
      line('allocator_allocated', mem.heapUsed);
      line('allocator_active', mem.heapTotal);
      line('allocator_resident', mem.rss);
      line('total_system_memory', sys);
      line('total_system_memory_human', bytesToHuman(sys));
      line('used_memory_lua', 0);
      line('used_memory_vm_eval', 0);
      line('used_memory_lua_human', '0B');
      line('used_memory_scripts_eval', 0);
      line('number_of_cached_scripts', 0);
      line('number_of_functions', 0);
      line('number_of_libraries', 0);
      line('used_memory_vm_functions', 0);
      line('used_memory_vm_total', 0);
      line('used_memory_vm_total_human', '0B');
      line('used_memory_functions', 0);
      line('used_memory_scripts', 0);
      line('used_memory_scripts_human', '0B');
      line('maxmemory', maxmemory);
      line('maxmemory_human', bytesToHuman(maxmemory));
      line('maxmemory_policy', cfg.getString('maxmemory-policy'));
      line('allocator_frag_ratio', '1.00');
      line('allocator_frag_bytes', 0);
      line('allocator_rss_ratio', '1.00');
      line('allocator_rss_bytes', 0);
      line('rss_overhead_ratio', '1.00');
      line('rss_overhead_bytes', 0);
      line('mem_fragmentation_ratio', (mem.rss / Math.max(1, used)).toFixed(2));
      line('mem_fragmentation_bytes', mem.rss - used);
      line('mem_not_counted_for_evict', 0);
      line('mem_replication_backlog', 0);
      line('mem_total_replication_buffers', 0);
      line('mem_clients_slaves', 0);
      line('mem_clients_normal', 0);
      line('mem_cluster_links', 0);
      line('mem_aof_buffer', 0);
      line('mem_allocator', 'v8');
      line('active_defrag_running', 0);
      line('lazyfree_pending_objects', 0);
      line('lazyfreed_objects', 0);
      break;
    }
    case 'persistence': {
      line('loading', 0);
      line('async_loading', 0);
      line('current_cow_peak', 0);
      line('current_cow_size', 0);
      line('current_cow_size_age', 0);
      line('current_fork_perc', '0.00');
      line('current_save_keys_processed', 0);
      line('current_save_keys_total', 0);
      line('rdb_changes_since_last_save', server.dirty);
      line('rdb_bgsave_in_progress', 0);
      line('rdb_last_save_time', Math.floor(server.lastSave / 1000));
      line('rdb_last_bgsave_status', 'ok');
      line('rdb_last_bgsave_time_sec', -1);
      line('rdb_current_bgsave_time_sec', -1);
      line('rdb_saves', 0);
      line('rdb_last_cow_size', 0);
      line('rdb_last_load_keys_expired', 0);
      line('rdb_last_load_keys_loaded', 0);
      line('aof_enabled', cfg.getBool('appendonly') ? 1 : 0);
      line('aof_rewrite_in_progress', 0);
      line('aof_rewrite_scheduled', 0);
      line('aof_last_rewrite_time_sec', -1);
      line('aof_current_rewrite_time_sec', -1);
      line('aof_last_bgrewrite_status', 'ok');
      line('aof_rewrites', 0);
      line('aof_rewrites_consecutive_failures', 0);
      line('aof_last_write_status', 'ok');
      line('aof_last_cow_size', 0);
      line('module_fork_in_progress', 0);
      line('module_fork_last_cow_size', 0);
      break;
    }
    case 'stats': {
      const st = server.stats;
      line('total_connections_received', st.connectionsReceived);
      line('total_commands_processed', st.commandsProcessed);
      line('instantaneous_ops_per_sec', 0);
      line('total_net_input_bytes', st.netInputBytes);
      line('total_net_output_bytes', st.netOutputBytes);
      line('total_net_repl_input_bytes', 0);
      line('total_net_repl_output_bytes', 0);
      line('instantaneous_input_kbps', '0.00');
      line('instantaneous_output_kbps', '0.00');
      line('instantaneous_input_repl_kbps', '0.00');
      line('instantaneous_output_repl_kbps', '0.00');
      line('rejected_connections', st.rejectedConnections);
      line('sync_full', 0);
      line('sync_partial_ok', 0);
      line('sync_partial_err', 0);
      line('expired_keys', st.expiredKeys);
      line('expired_stale_perc', '0.00');
      line('expired_time_cap_reached_count', 0);
      line('expire_cycle_cpu_milliseconds', 0);
      line('evicted_keys', st.evictedKeys);
      line('evicted_clients', 0);
      line('total_eviction_exceeded_time', 0);
      line('current_eviction_exceeded_time', 0);
      line('keyspace_hits', st.keyspaceHits);
      line('keyspace_misses', st.keyspaceMisses);
      const ps = pubsubCounts(server);
      line('pubsub_channels', ps.channels);
      line('pubsub_patterns', ps.patterns);
      line('pubsubshard_channels', ps.shardChannels);
      line('latest_fork_usec', 0);
      line('total_forks', 0);
      line('migrate_cached_sockets', 0);
      line('slave_expires_tracked_keys', 0);
      line('active_defrag_hits', 0);
      line('active_defrag_misses', 0);
      line('active_defrag_key_hits', 0);
      line('active_defrag_key_misses', 0);
      line('total_active_defrag_time', 0);
      line('current_active_defrag_time', 0);
      line('tracking_total_keys', 0);
      line('tracking_total_items', 0);
      line('tracking_total_prefixes', 0);
      line('unexpected_error_replies', 0);
      line('total_error_replies', st.totalErrorReplies);
      line('dump_payload_sanitizations', 0);
      line('total_reads_processed', st.commandsProcessed);
      line('total_writes_processed', st.commandsProcessed);
      line('io_threaded_reads_processed', 0);
      line('io_threaded_writes_processed', 0);
      line('reply_buffer_shrinks', 0);
      line('reply_buffer_expands', 0);
      break;
    }
    case 'replication':
      line('role', 'master');
      line('connected_slaves', 0);
      line('master_failover_state', 'no-failover');
      line('master_replid', server.runId);
      line('master_replid2', '0000000000000000000000000000000000000000');
      line('master_repl_offset', 0);
      line('second_repl_offset', -1);
      line('repl_backlog_active', 0);
      line('repl_backlog_size', 1048576);
      line('repl_backlog_first_byte_offset', 0);
      line('repl_backlog_histlen', 0);
      break;
    case 'cpu': {
      const u = cpuUsage();
      const sys = (u.system / 1e6).toFixed(6);
      const user = (u.user / 1e6).toFixed(6);
      line('used_cpu_sys', sys);
      line('used_cpu_user', user);
      line('used_cpu_sys_children', '0.000000');
      line('used_cpu_user_children', '0.000000');
      line('used_cpu_sys_main_thread', sys);
      line('used_cpu_user_main_thread', user);
      break;
    }
    case 'modules':
    case 'latencystats':
      break;
    case 'commandstats':
      for (const cmd of allCommands()) {
        const st = cmd.stats;
        if (st.calls === 0 && st.rejected === 0 && st.failed === 0) continue;
        const perCall = st.calls === 0 ? 0 : st.usec / st.calls;
        line(
          `cmdstat_${cmd.spec.name}`,
          `calls=${st.calls},usec=${st.usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${st.rejected},failed_calls=${st.failed}`,
        );
      }
      break;
    case 'errorstats':
      for (const [code, count] of server.errorStats) line(`errorstat_${code}`, `count=${count}`);
      break;
    case 'cluster':
      line('cluster_enabled', cfg.getBool('cluster-enabled') ? 1 : 0);
      break;
    case 'keyspace':
      for (const db of server.dbs) {
        if (db.size === 0) continue;
        let ttlSum = 0;
        let ttlCount = 0;
        for (const at of db.expires.values()) {
          if (at > now) {
            ttlSum += at - now;
            ttlCount++;
          }
        }
        line(`db${db.id}`, `keys=${db.size},expires=${db.expires.size},avg_ttl=${ttlCount === 0 ? 0 : Math.floor(ttlSum / ttlCount)}`);
      }
      break;
  }
  return s;
}

const SECTION_TITLES: Record<string, string> = {
  server: 'Server',
  clients: 'Clients',
  memory: 'Memory',
  persistence: 'Persistence',
  stats: 'Stats',
  replication: 'Replication',
  cpu: 'CPU',
  modules: 'Modules',
  commandstats: 'Commandstats',
  errorstats: 'Errorstats',
  latencystats: 'Latencystats',
  cluster: 'Cluster',
  keyspace: 'Keyspace',
};

let peak = 0;
function peakMemory(used: number): number {
  if (used > peak) peak = used;
  return peak;
}

/**
 * The INFO text for `names` (the arguments after INFO, any case). Unknown
 * section names contribute nothing, as in Redis. Sections are separated by
 * an empty line; the text ends with `\r\n` after the last field.
 */
export function genInfo(server: Server, names: readonly string[], _c?: Client): string {
  let wanted: Set<string>;
  if (names.length === 0) {
    wanted = new Set(DEFAULT_SECTIONS);
  } else {
    wanted = new Set();
    for (const raw of names) {
      const n = raw.toLowerCase();
      if (n === 'default') {
        for (const d of DEFAULT_SECTIONS) wanted.add(d);
      } else if (n === 'all') {
        for (const d of ALL_SECTIONS) if (d !== 'modules') wanted.add(d);
      } else if (n === 'everything') {
        for (const d of ALL_SECTIONS) wanted.add(d);
      } else {
        wanted.add(n);
      }
    }
  }
  let out = '';
  for (const name of ALL_SECTIONS) {
    if (!wanted.has(name)) continue;
    if (out !== '') out += '\r\n';
    out += `# ${SECTION_TITLES[name]}\r\n` + section(name, server);
  }
  return out;
}
