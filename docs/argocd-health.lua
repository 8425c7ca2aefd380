-- Argo CD health check for storage.tenantstorage.dev/TenantStorage.
-- Install it as resource.customizations.health.storage.tenantstorage.dev_TenantStorage
-- in argocd-cm (see docs/gitops.md). It reads the conditions the operator
-- writes and agrees with kstatus (Flux, kpt, cli-utils):
--   spec.suspend                          -> Suspended
--   status.observedGeneration behind      -> Progressing
--   Stalled=True (needs a person)         -> Degraded
--   Reconciling=True (retrying AWS)       -> Progressing
--   Ready=True                            -> Healthy
--   Ready=False                           -> Degraded
--   anything else (not verified yet)      -> Progressing
-- Stalled wins over Reconciling: a retry of a throttled check does not
-- change a verdict only the customer can fix.
local hs = {}

local function find(conditions, conditionType)
  for _, c in ipairs(conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function explain(c)
  if c.reason ~= nil and c.reason ~= "" then
    return c.reason .. ": " .. (c.message or "")
  end
  return c.message or ""
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Verification is suspended (spec.suspend is true)"
  return hs
end

local status = obj.status
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to verify the tenant's AWS setup"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and status.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to verify generation " .. generation ..
    " (status describes generation " .. (status.observedGeneration or 0) .. ")"
  return hs
end

local ready = find(status.conditions, "Ready")
local stalled = find(status.conditions, "Stalled")
local reconciling = find(status.conditions, "Reconciling")

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = explain(stalled)
  return hs
end
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = explain(reconciling)
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "Ready"
  return hs
end
if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = explain(ready)
  return hs
end

hs.status = "Progressing"
if ready ~= nil then
  hs.message = explain(ready)
else
  hs.message = "Waiting for the operator to verify the tenant's AWS setup"
end
return hs
