// IP pools: the pools with their free addresses and the form that creates one; one pool's
// range and every lease taken from it.
import { enc, get, post } from '../api.js';
import { el, facts, link, orDash, page, table, timeEl } from '../dom.js';
import { field, submitForm, toggleForm } from '../forms.js';
import { go } from '../nav.js';

export async function ippoolsView(ctx) {
  const { items } = await get('/ippools', ctx.signal);
  const form = createIPPoolForm();
  form.hidden = items.length > 0;
  return page('IP pools', [toggleForm('Create IP pool', form)], form,
    table([
      { title: 'Name', cell: (p) => link('/ippools/' + enc(p.name), p.name) },
      { title: 'CIDR', cell: (p) => el('code', {}, p.cidr) },
      { title: 'Range', cell: (p) => el('code', {}, `${p.range_start} – ${p.range_end}`) },
      { title: 'Gateway', cell: (p) => orDash(p.gateway) },
      { title: 'DNS', cell: (p) => orDash((p.dns || []).join(', ')) },
      { title: 'Free / size', class: 'num', cell: (p) => `${p.free} / ${p.size}` },
    ], items, 'No IP pool yet. Clusters take their node addresses from one.'));
}

/** createIPPoolForm posts to /ippools; DNS servers are typed comma-separated. */
function createIPPoolForm() {
  const form = el('form', { class: 'card', novalidate: true },
    el('h2', {}, 'Create an IP pool'),
    el('div', { class: 'grid' },
      field('Name', 'name', { placeholder: 'lab', required: true }),
      field('CIDR', 'cidr', { placeholder: '10.0.0.0/24', required: true }),
      field('Range start', 'range_start', { placeholder: '10.0.0.10', required: true }),
      field('Range end', 'range_end', { placeholder: '10.0.0.99', required: true }),
      field('Gateway', 'gateway', { placeholder: '10.0.0.1' }, 'inside the CIDR, outside the range'),
      field('DNS servers', 'dns', { placeholder: '10.0.0.2, 10.0.0.3' }, 'comma-separated')),
    el('div', { class: 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'primary' }, 'Create')));
  const send = (v) => post('/ippools', Object.assign({}, v, { dns: v.dns.split(',').map((s) => s.trim()).filter(Boolean) }));
  return submitForm(form, send, (pool) => go('/ippools/' + enc(pool.name)));
}

// One IP pool: its range and every lease taken from it.
export async function ippoolView(ctx, name) {
  const p = await get('/ippools/' + enc(name), ctx.signal);
  return page(`IP pool ${p.name}`, [],
    facts([
      ['CIDR', el('code', {}, p.cidr)],
      ['Range', el('code', {}, `${p.range_start} – ${p.range_end}`)],
      ['Gateway', p.gateway],
      ['DNS', (p.dns || []).join(', ')],
      ['Addresses', `${p.free} free of ${p.size}`],
      ['Created', timeEl(p.created_at)],
    ]),
    el('h2', {}, `Leases (${(p.leases || []).length})`),
    table([
      { title: 'Address', cell: (l) => el('code', {}, l.address) },
      { title: 'Owner', cell: (l) => l.owner },
      { title: 'Cluster id', cell: (l) => orDash(l.cluster_id) },
      { title: 'Leased', cell: (l) => timeEl(l.leased_at) },
    ], p.leases, 'No address is leased.'));
}
